//! The log stores (day types, hikes, vehicles and their maintenance, docs) driven
//! directly, without HTTP, on every backend under test: a story per store of what a
//! syncable row goes through (insert, read, update, tombstone), who may see it, and how
//! lists filter and page.

// Tests: a panic is a failed assertion (clippy.toml allows it in unit tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use lifeos_kernel::page::PageRequest;
use lifeos_kernel::sync_row::{self, Stamp};
use lifeos_kernel::testing;
use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::user_data::UserTable;
use lifeos_kernel::{Db, Timestamp, Tx, migrate, with_tx};
use lifeos_tracking::common::{DateCursor, DateRange};
use lifeos_tracking::day_types::{self, DayKind, DayTypeValues};
use lifeos_tracking::docs::{self, DocFilter, DocValues};
use lifeos_tracking::hikes::{self, HikeSource, HikeValues};
use lifeos_tracking::user_data::{
    DAY_TYPES, DOCS, HIKES, NODES, TRACKS, VEHICLE_MAINTENANCE, VEHICLES,
};
use lifeos_tracking::vehicles::{
    self, MaintenanceFilter, MaintenanceValues, OdometerUnit, ServiceType, VehicleValues,
};
use serde_json::json;
use time::Date;
use time::macros::date;
use uuid::Uuid;

async fn open(url: &str) -> Db {
    testing::open_migrated(url, &[migrate::platform(), lifeos_tracking::migrations()]).await
}

async fn insert_user(db: &Db, email: &str) -> Uuid {
    testing::insert_user(db, email).await
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

/// A fresh id for a new row of `table` (the client asked for none).
async fn fresh_id(tx: &mut Tx, table: &UserTable) -> Uuid {
    sync_row::new_row_id(tx, table, None)
        .await
        .unwrap()
        .expect("a fresh id is never taken")
}

/// The user's rows of `table` changed after `version`, as sync would stream them.
async fn changes(db: &Db, table: &UserTable, user: Uuid, version: i64) -> Vec<serde_json::Value> {
    let mut tx = db.begin_read().await.unwrap();
    let rows = sync_row::changes_after(&mut tx, table, user, version)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    rows
}

/// Checks that the row `id` was tombstoned by `stamp`: hidden from reads, carried by the
/// change feed with the stamp's version.
async fn assert_tombstoned(db: &Db, table: &UserTable, user: Uuid, id: Uuid, stamp: Stamp) {
    let feed = changes(db, table, user, stamp.version - 1).await;
    let row = feed
        .iter()
        .find(|r| r["id"] == json!(id.to_string()))
        .unwrap_or_else(|| panic!("{}: the tombstone is in the change feed", table.name));
    assert_eq!(row["version"], json!(stamp.version), "{}", table.name);
    assert_eq!(
        row["deleted_at"],
        json!(stamp.at.to_string()),
        "{}",
        table.name
    );
    let mut tx = db.begin_read().await.unwrap();
    let live = sync_row::fetch_live::<(Uuid,)>(&mut tx, table, "id", user, id)
        .await
        .unwrap();
    assert!(live.is_none(), "{}: a tombstone is not live", table.name);
}

fn page<C>(limit: u32, after: Option<C>) -> PageRequest<C> {
    PageRequest { limit, after }
}

fn day(date: Date, planned: DayKind) -> DayTypeValues {
    DayTypeValues {
        date,
        planned_type: planned,
        actual_type: None,
        notes: None,
    }
}

lifeos_kernel::dialect_test! {
    async fn day_types_story(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let ada = insert_user(&db, "ada@example.com").await;
        let bob = insert_user(&db, "bob@example.com").await;
        let feb1 = date!(2026 - 02 - 01);

        // Insert, with a client-chosen id.
        let client_id = lifeos_kernel::id::new_id();
        let mut tx = db.begin().await.unwrap();
        let id = sync_row::new_row_id(&mut tx, &DAY_TYPES, Some(client_id)).await.unwrap();
        assert_eq!(id, Some(client_id), "a new client id is taken as is");
        let first = sync_row::stamp(&mut tx, ada, at("2026-02-01T07:00:00Z")).await.unwrap();
        let values = DayTypeValues { notes: Some("deep work".into()), ..day(feb1, DayKind::Focus) };
        let created = day_types::store::insert(&mut tx, ada, client_id, first, &values).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(created.id, client_id);
        assert_eq!((created.date, created.planned_type, created.actual_type), (feb1, DayKind::Focus, None));
        assert_eq!(created.notes.as_deref(), Some("deep work"));
        assert_eq!(created.version, first.version);
        assert_eq!((created.created_at, created.updated_at), (first.at, first.at));

        // Read it back, by id and by date; live_on_date sees it inside a write.
        let mut tx = db.begin_read().await.unwrap();
        assert_eq!(day_types::store::get(&mut tx, ada, client_id).await.unwrap(), Some(created.clone()));
        tx.commit().await.unwrap();
        assert_eq!(day_types::store::by_date(&db, ada, feb1).await.unwrap(), Some(created.clone()));
        let mut tx = db.begin().await.unwrap();
        assert_eq!(day_types::store::live_on_date(&mut tx, ada, feb1).await.unwrap(), Some(client_id));

        // The id is taken now, for every user; a second live entry on the date is refused.
        assert_eq!(sync_row::new_row_id(&mut tx, &DAY_TYPES, Some(client_id)).await.unwrap(), None);
        let other = fresh_id(&mut tx, &DAY_TYPES).await;
        let stamp = sync_row::stamp(&mut tx, ada, at("2026-02-01T07:30:00Z")).await.unwrap();
        let twice = day_types::store::insert(&mut tx, ada, other, stamp, &day(feb1, DayKind::Free)).await;
        assert!(twice.unwrap_err().is_unique_violation(), "{}: one live entry per date", test_db.label);
        drop(tx);

        // Update takes a new version and keeps created_at.
        let mut tx = db.begin().await.unwrap();
        let second = sync_row::stamp(&mut tx, ada, at("2026-02-01T20:00:00Z")).await.unwrap();
        let recorded = DayTypeValues { actual_type: Some(DayKind::Free), ..values.clone() };
        let updated = day_types::store::update(&mut tx, ada, client_id, second, &recorded)
            .await.unwrap().expect("live row");
        tx.commit().await.unwrap();
        assert!(second.version > first.version);
        assert_eq!(updated.version, second.version);
        assert_eq!(updated.actual_type, Some(DayKind::Free));
        assert_eq!((updated.created_at, updated.updated_at), (first.at, second.at));

        // Another user's id is invisible: not read, not updated, not deleted.
        let mut tx = db.begin().await.unwrap();
        assert_eq!(day_types::store::get(&mut tx, bob, client_id).await.unwrap(), None);
        assert_eq!(day_types::store::live_on_date(&mut tx, bob, feb1).await.unwrap(), None);
        let bobs = sync_row::stamp(&mut tx, bob, at("2026-02-02T08:00:00Z")).await.unwrap();
        assert_eq!(day_types::store::update(&mut tx, bob, client_id, bobs, &recorded).await.unwrap(), None);
        assert!(!day_types::store::delete(&mut tx, bob, client_id, bobs).await.unwrap());
        tx.commit().await.unwrap();
        assert_eq!(day_types::store::by_date(&db, bob, feb1).await.unwrap(), None);

        // Lists: a range, pages by date, other users' rows left out.
        let mut tx = db.begin().await.unwrap();
        for (date, kind) in [(date!(2026 - 02 - 02), DayKind::Buffer), (date!(2026 - 02 - 03), DayKind::Free), (date!(2026 - 03 - 01), DayKind::Focus)] {
            let id = fresh_id(&mut tx, &DAY_TYPES).await;
            let stamp = sync_row::stamp(&mut tx, ada, at("2026-02-03T08:00:00Z")).await.unwrap();
            day_types::store::insert(&mut tx, ada, id, stamp, &day(date, kind)).await.unwrap();
        }
        let id = fresh_id(&mut tx, &DAY_TYPES).await;
        let stamp = sync_row::stamp(&mut tx, bob, at("2026-02-03T08:00:00Z")).await.unwrap();
        day_types::store::insert(&mut tx, bob, id, stamp, &day(feb1, DayKind::Focus)).await.unwrap();
        tx.commit().await.unwrap();
        let february = DateRange { from: Some(feb1), to: Some(date!(2026 - 02 - 28)) };
        let all = day_types::store::list(&db, ada, february, &page(50, None)).await.unwrap();
        let dates: Vec<Date> = all.items.iter().map(|d| d.date).collect();
        assert_eq!(dates, [feb1, date!(2026 - 02 - 02), date!(2026 - 02 - 03)]);
        assert!(all.next_cursor.is_none());
        let first_page = day_types::store::list(&db, ada, february, &page(2, None)).await.unwrap();
        assert_eq!(first_page.items.len(), 2);
        assert!(first_page.next_cursor.is_some());
        let after = DateCursor { date: first_page.items[1].date, id: first_page.items[1].id };
        let rest = day_types::store::list(&db, ada, february, &page(2, Some(after))).await.unwrap();
        assert_eq!(rest.items.iter().map(|d| d.date).collect::<Vec<_>>(), [date!(2026 - 02 - 03)]);
        let from_march = DateRange { from: Some(date!(2026 - 03 - 01)), to: None };
        assert_eq!(day_types::store::list(&db, ada, from_march, &page(50, None)).await.unwrap().items.len(), 1);

        // Tombstone: hidden, a new version, and the date is free again.
        let mut tx = db.begin().await.unwrap();
        let third = sync_row::stamp(&mut tx, ada, at("2026-02-04T08:00:00Z")).await.unwrap();
        assert!(day_types::store::delete(&mut tx, ada, client_id, third).await.unwrap());
        assert!(!day_types::store::delete(&mut tx, ada, client_id, third).await.unwrap(), "only live rows");
        tx.commit().await.unwrap();
        assert_tombstoned(&db, &DAY_TYPES, ada, client_id, third).await;
        assert_eq!(day_types::store::by_date(&db, ada, feb1).await.unwrap(), None);
        assert_eq!(day_types::store::list(&db, ada, february, &page(50, None)).await.unwrap().items.len(), 2);
        let mut tx = db.begin().await.unwrap();
        assert_eq!(day_types::store::update(&mut tx, ada, client_id, third, &recorded).await.unwrap(), None);
        let again = fresh_id(&mut tx, &DAY_TYPES).await;
        let stamp = sync_row::stamp(&mut tx, ada, at("2026-02-04T09:00:00Z")).await.unwrap();
        day_types::store::insert(&mut tx, ada, again, stamp, &day(feb1, DayKind::Buffer)).await.unwrap();
        assert_eq!(sync_row::new_row_id(&mut tx, &DAY_TYPES, Some(client_id)).await.unwrap(), None, "tombstoned ids stay taken");
        tx.commit().await.unwrap();
    }
}

fn hike(date: Date, distance_m: i32) -> HikeValues {
    HikeValues {
        date,
        started_at: None,
        distance_m,
        elevation_gain_m: None,
        duration_minutes: None,
        screenshot_url: None,
        track: None,
        notes: None,
    }
}

lifeos_kernel::dialect_test! {
    async fn hikes_story(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let ada = insert_user(&db, "ada@example.com").await;
        let bob = insert_user(&db, "bob@example.com").await;
        let day = date!(2026 - 06 - 14);
        let track = json!({"type": "LineString", "coordinates": [[11.0, 47.0], [11.0, 47.001, 610.5]]});

        let mut tx = db.begin().await.unwrap();
        let id = fresh_id(&mut tx, &HIKES).await;
        let first = sync_row::stamp(&mut tx, ada, at("2026-06-14T18:00:00Z")).await.unwrap();
        let values = HikeValues {
            started_at: Some(at("2026-06-14T08:15:00Z")),
            elevation_gain_m: Some(450),
            duration_minutes: Some(135),
            screenshot_url: Some("https://example.com/a.png".into()),
            track: Some(track.clone()),
            notes: Some("ridge".into()),
            ..hike(day, 8_500)
        };
        let created = hikes::store::insert(&mut tx, ada, id, first, &values, HikeSource::Gpx).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(created.distance_km, 8.5, "metres are stored, kilometres read");
        assert_eq!(created.track, Some(track.clone()), "{}: the GeoJSON round-trips", test_db.label);
        assert_eq!(created.source, HikeSource::Gpx);
        assert_eq!((created.version, created.created_at, created.updated_at), (first.version, first.at, first.at));

        let mut tx = db.begin_read().await.unwrap();
        assert_eq!(hikes::store::get(&mut tx, ada, id).await.unwrap(), Some(created.clone()));
        assert_eq!(hikes::store::get(&mut tx, bob, id).await.unwrap(), None);
        tx.commit().await.unwrap();

        // Update: a new version; the source stays; null clears.
        let mut tx = db.begin().await.unwrap();
        assert_eq!(sync_row::new_row_id(&mut tx, &HIKES, Some(id)).await.unwrap(), None);
        let second = sync_row::stamp(&mut tx, ada, at("2026-06-15T09:00:00Z")).await.unwrap();
        let changed = HikeValues { distance_m: 9_125, track: None, ..values.clone() };
        assert_eq!(hikes::store::update(&mut tx, bob, id, second, &changed).await.unwrap(), None);
        let updated = hikes::store::update(&mut tx, ada, id, second, &changed).await.unwrap().expect("live");
        tx.commit().await.unwrap();
        assert_eq!((updated.distance_km, updated.track.clone(), updated.source), (9.125, None, HikeSource::Gpx));
        assert_eq!((updated.version, updated.created_at, updated.updated_at), (second.version, first.at, second.at));

        // Lists: by date then id, paged with both.
        let mut tx = db.begin().await.unwrap();
        let mut same_day = Vec::new();
        for _ in 0..2 {
            let id = fresh_id(&mut tx, &HIKES).await;
            let stamp = sync_row::stamp(&mut tx, ada, at("2026-06-16T09:00:00Z")).await.unwrap();
            hikes::store::insert(&mut tx, ada, id, stamp, &hike(date!(2026 - 06 - 16), 1_000), HikeSource::Manual).await.unwrap();
            same_day.push(id);
        }
        let bobs = fresh_id(&mut tx, &HIKES).await;
        let stamp = sync_row::stamp(&mut tx, bob, at("2026-06-16T09:00:00Z")).await.unwrap();
        hikes::store::insert(&mut tx, bob, bobs, stamp, &hike(day, 1_000), HikeSource::Manual).await.unwrap();
        tx.commit().await.unwrap();
        same_day.sort();
        let everything = DateRange::default();
        let all = hikes::store::list(&db, ada, everything, &page(50, None)).await.unwrap();
        let ids: Vec<Uuid> = all.items.iter().map(|h| h.id).collect();
        assert_eq!(ids, [id, same_day[0], same_day[1]]);
        let after = DateCursor { date: date!(2026 - 06 - 16), id: same_day[0] };
        let rest = hikes::store::list(&db, ada, everything, &page(1, Some(after))).await.unwrap();
        assert_eq!(rest.items.iter().map(|h| h.id).collect::<Vec<_>>(), [same_day[1]]);
        assert!(rest.next_cursor.is_none());
        let only_14th = DateRange { from: Some(day), to: Some(day) };
        let on_14th = hikes::store::list(&db, ada, only_14th, &page(50, None)).await.unwrap();
        assert_eq!(on_14th.items.iter().map(|h| h.id).collect::<Vec<_>>(), [id]);

        // Tombstone.
        let mut tx = db.begin().await.unwrap();
        let third = sync_row::stamp(&mut tx, ada, at("2026-06-17T09:00:00Z")).await.unwrap();
        assert!(!hikes::store::delete(&mut tx, bob, id, third).await.unwrap());
        assert!(hikes::store::delete(&mut tx, ada, id, third).await.unwrap());
        tx.commit().await.unwrap();
        assert_tombstoned(&db, &HIKES, ada, id, third).await;
        assert_eq!(hikes::store::list(&db, ada, everything, &page(50, None)).await.unwrap().items.len(), 2);
    }
}

fn vehicle(name: &str) -> VehicleValues {
    VehicleValues {
        name: name.into(),
        make: None,
        model: None,
        year: None,
        vin: None,
    }
}

fn service(
    vehicle_id: Option<Uuid>,
    date: Date,
    service_type: ServiceType,
    mileage: Option<i32>,
) -> MaintenanceValues {
    MaintenanceValues {
        vehicle_id,
        date,
        service_type,
        service_label: None,
        mileage,
        odometer_unit: OdometerUnit::Mi,
        cost_minor: None,
        currency: None,
        provider: None,
        notes: None,
    }
}

lifeos_kernel::dialect_test! {
    async fn vehicles_story(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let ada = insert_user(&db, "ada@example.com").await;
        let bob = insert_user(&db, "bob@example.com").await;

        // Vehicles: insert, read, update, other users, paging by id.
        let mut tx = db.begin().await.unwrap();
        let golf = fresh_id(&mut tx, &VEHICLES).await;
        let first = sync_row::stamp(&mut tx, ada, at("2026-01-10T10:00:00Z")).await.unwrap();
        let values = VehicleValues { make: Some("VW".into()), year: Some(2019), ..vehicle("Blue Golf") };
        let created = vehicles::store::insert_vehicle(&mut tx, ada, golf, first, &values).await.unwrap();
        assert_eq!(sync_row::new_row_id(&mut tx, &VEHICLES, Some(golf)).await.unwrap(), None);
        let van = fresh_id(&mut tx, &VEHICLES).await;
        let stamp = sync_row::stamp(&mut tx, ada, at("2026-01-10T10:00:00Z")).await.unwrap();
        vehicles::store::insert_vehicle(&mut tx, ada, van, stamp, &vehicle("Van")).await.unwrap();
        let bobs_car = fresh_id(&mut tx, &VEHICLES).await;
        let stamp = sync_row::stamp(&mut tx, bob, at("2026-01-10T10:00:00Z")).await.unwrap();
        vehicles::store::insert_vehicle(&mut tx, bob, bobs_car, stamp, &vehicle("Bob's")).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!((created.name.as_str(), created.year, created.version), ("Blue Golf", Some(2019), first.version));

        let mut tx = db.begin().await.unwrap();
        assert_eq!(vehicles::store::get_vehicle(&mut tx, ada, golf).await.unwrap(), Some(created.clone()));
        assert_eq!(vehicles::store::get_vehicle(&mut tx, bob, golf).await.unwrap(), None);
        let second = sync_row::stamp(&mut tx, ada, at("2026-01-11T10:00:00Z")).await.unwrap();
        let renamed = VehicleValues { name: "Golf".into(), make: None, ..values.clone() };
        assert_eq!(vehicles::store::update_vehicle(&mut tx, bob, golf, second, &renamed).await.unwrap(), None);
        let updated = vehicles::store::update_vehicle(&mut tx, ada, golf, second, &renamed).await.unwrap().expect("live");
        tx.commit().await.unwrap();
        assert_eq!((updated.name.as_str(), updated.make.as_deref()), ("Golf", None));
        assert_eq!((updated.version, updated.created_at, updated.updated_at), (second.version, first.at, second.at));

        let mut ours = [golf, van];
        ours.sort();
        let listed = vehicles::store::list_vehicles(&db, ada, &page(1, None)).await.unwrap();
        assert_eq!(listed.items.iter().map(|v| v.id).collect::<Vec<_>>(), [ours[0]]);
        assert!(listed.next_cursor.is_some());
        let rest = vehicles::store::list_vehicles(&db, ada, &page(5, Some(ours[0]))).await.unwrap();
        assert_eq!(rest.items.iter().map(|v| v.id).collect::<Vec<_>>(), [ours[1]]);

        // Maintenance: insert, read, update, filters.
        let mut tx = db.begin().await.unwrap();
        let mut oil = Vec::new();
        for (date, mileage) in [(date!(2025 - 02 - 01), 40_000), (date!(2025 - 08 - 01), 43_500)] {
            let id = fresh_id(&mut tx, &VEHICLE_MAINTENANCE).await;
            let stamp = sync_row::stamp(&mut tx, ada, at("2026-01-12T10:00:00Z")).await.unwrap();
            let record = vehicles::store::insert_maintenance(&mut tx, ada, id, stamp, &service(Some(golf), date, ServiceType::OilChange, Some(mileage))).await.unwrap();
            assert_eq!((record.vehicle_id, record.service_type, record.odometer_unit), (Some(golf), ServiceType::OilChange, OdometerUnit::Mi));
            oil.push(id);
        }
        let battery = fresh_id(&mut tx, &VEHICLE_MAINTENANCE).await;
        let first_record = sync_row::stamp(&mut tx, ada, at("2026-01-12T10:00:00Z")).await.unwrap();
        let battery_values = MaintenanceValues {
            cost_minor: Some(12_900),
            currency: Some("EUR".into()),
            odometer_unit: OdometerUnit::Km,
            ..service(Some(van), date!(2025 - 05 - 05), ServiceType::Battery, None)
        };
        let created = vehicles::store::insert_maintenance(&mut tx, ada, battery, first_record, &battery_values).await.unwrap();
        assert_eq!((created.cost_minor, created.currency.as_deref(), created.odometer_unit), (Some(12_900), Some("EUR"), OdometerUnit::Km));
        let loose = fresh_id(&mut tx, &VEHICLE_MAINTENANCE).await;
        let stamp = sync_row::stamp(&mut tx, ada, at("2026-01-12T10:00:00Z")).await.unwrap();
        let label = MaintenanceValues { service_label: Some("Wax".into()), ..service(None, date!(2025 - 05 - 05), ServiceType::Other, None) };
        vehicles::store::insert_maintenance(&mut tx, ada, loose, stamp, &label).await.unwrap();
        assert_eq!(sync_row::new_row_id(&mut tx, &VEHICLE_MAINTENANCE, Some(loose)).await.unwrap(), None);
        let bobs_record = fresh_id(&mut tx, &VEHICLE_MAINTENANCE).await;
        let stamp = sync_row::stamp(&mut tx, bob, at("2026-01-12T10:00:00Z")).await.unwrap();
        vehicles::store::insert_maintenance(&mut tx, bob, bobs_record, stamp, &service(Some(bobs_car), date!(2025 - 05 - 05), ServiceType::OilChange, None)).await.unwrap();

        assert_eq!(vehicles::store::get_maintenance(&mut tx, ada, battery).await.unwrap(), Some(created.clone()));
        assert_eq!(vehicles::store::get_maintenance(&mut tx, bob, battery).await.unwrap(), None);
        let second_record = sync_row::stamp(&mut tx, ada, at("2026-01-13T10:00:00Z")).await.unwrap();
        let cheaper = MaintenanceValues { cost_minor: Some(9_900), ..battery_values.clone() };
        assert_eq!(vehicles::store::update_maintenance(&mut tx, bob, battery, second_record, &cheaper).await.unwrap(), None);
        let updated = vehicles::store::update_maintenance(&mut tx, ada, battery, second_record, &cheaper).await.unwrap().expect("live");
        assert_eq!((updated.cost_minor, updated.version, updated.created_at), (Some(9_900), second_record.version, first_record.at));
        tx.commit().await.unwrap();

        let ids = |records: &[vehicles::Maintenance]| records.iter().map(|m| m.id).collect::<Vec<_>>();
        let everything = MaintenanceFilter::default();
        let all = vehicles::store::list_maintenance(&db, ada, &everything, &page(50, None)).await.unwrap();
        assert_eq!(all.items.len(), 4, "bob's record is left out");
        assert_eq!(all.items[0].id, oil[0], "ordered by date");
        let of_golf = MaintenanceFilter { vehicle_id: Some(golf), ..everything };
        assert_eq!(ids(&vehicles::store::list_maintenance(&db, ada, &of_golf, &page(50, None)).await.unwrap().items), oil);
        let batteries = MaintenanceFilter { service_type: Some(ServiceType::Battery), ..everything };
        assert_eq!(ids(&vehicles::store::list_maintenance(&db, ada, &batteries, &page(50, None)).await.unwrap().items), [battery]);
        let may = MaintenanceFilter { range: DateRange { from: Some(date!(2025 - 05 - 01)), to: Some(date!(2025 - 05 - 31)) }, ..everything };
        let in_may = vehicles::store::list_maintenance(&db, ada, &may, &page(1, None)).await.unwrap();
        assert_eq!(in_may.items.len(), 1);
        let after = DateCursor { date: in_may.items[0].date, id: in_may.items[0].id };
        let rest = vehicles::store::list_maintenance(&db, ada, &may, &page(1, Some(after))).await.unwrap();
        let mut both = [battery, loose];
        both.sort();
        assert_eq!([in_may.items[0].id, rest.items[0].id], [both[0], both[1]]);

        let mut tx = db.begin_read().await.unwrap();
        let mut of_golf = ids(&vehicles::store::maintenance_of_vehicle(&mut tx, ada, golf).await.unwrap());
        of_golf.sort();
        let mut expected = oil.clone();
        expected.sort();
        assert_eq!(of_golf, expected);
        assert!(vehicles::store::maintenance_of_vehicle(&mut tx, bob, golf).await.unwrap().is_empty());
        tx.commit().await.unwrap();

        // Tombstones: one record, then a vehicle with its records.
        let mut tx = db.begin().await.unwrap();
        let gone = sync_row::stamp(&mut tx, ada, at("2026-01-14T10:00:00Z")).await.unwrap();
        assert!(!vehicles::store::delete_maintenance(&mut tx, bob, battery, gone).await.unwrap());
        assert!(vehicles::store::delete_maintenance(&mut tx, ada, battery, gone).await.unwrap());
        tx.commit().await.unwrap();
        assert_tombstoned(&db, &VEHICLE_MAINTENANCE, ada, battery, gone).await;

        let mut tx = db.begin().await.unwrap();
        let car_gone = sync_row::stamp(&mut tx, ada, at("2026-01-15T10:00:00Z")).await.unwrap();
        assert!(!vehicles::store::delete_vehicle(&mut tx, bob, golf, car_gone).await.unwrap());
        assert_eq!(vehicles::store::delete_maintenance_of_vehicle(&mut tx, bob, golf, car_gone).await.unwrap(), 0);
        assert!(vehicles::store::delete_vehicle(&mut tx, ada, golf, car_gone).await.unwrap());
        let records_gone = sync_row::stamp(&mut tx, ada, at("2026-01-15T10:00:00Z")).await.unwrap();
        assert_eq!(vehicles::store::delete_maintenance_of_vehicle(&mut tx, ada, golf, records_gone).await.unwrap(), 2);
        tx.commit().await.unwrap();
        assert_tombstoned(&db, &VEHICLES, ada, golf, car_gone).await;
        for id in &oil {
            assert_tombstoned(&db, &VEHICLE_MAINTENANCE, ada, *id, records_gone).await;
        }
        assert_eq!(ids(&vehicles::store::list_maintenance(&db, ada, &everything, &page(50, None)).await.unwrap().items), [loose]);
        assert_eq!(vehicles::store::list_vehicles(&db, ada, &page(50, None)).await.unwrap().items.len(), 1);
        assert_eq!(vehicles::store::list_vehicles(&db, bob, &page(50, None)).await.unwrap().items.len(), 1);
    }
}

lifeos_kernel::dialect_test! {
    async fn an_unknown_stored_service_type_is_an_error(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let ada = insert_user(&db, "ada@example.com").await;
        let mut tx = db.begin().await.unwrap();
        let id = fresh_id(&mut tx, &VEHICLE_MAINTENANCE).await;
        let stamp = sync_row::stamp(&mut tx, ada, at("2026-01-12T10:00:00Z")).await.unwrap();
        vehicles::store::insert_maintenance(&mut tx, ada, id, stamp, &service(None, date!(2025 - 05 - 05), ServiceType::Coolant, None)).await.unwrap();
        // What a newer server might have written: no CHECK constraint lists the types.
        with_tx!(&mut tx, conn => {
            sqlx::query("UPDATE vehicle_maintenance SET service_type = 'teleporter_calibration' WHERE id = $1")
                .bind(id).execute(&mut *conn).await.unwrap();
        });
        tx.commit().await.unwrap();
        let mut tx = db.begin_read().await.unwrap();
        let error = vehicles::store::get_maintenance(&mut tx, ada, id).await.unwrap_err();
        assert!(error.to_string().contains("teleporter_calibration"), "{}: {error}", test_db.label);
        drop(tx);
        let listed = vehicles::store::list_maintenance(&db, ada, &MaintenanceFilter::default(), &page(50, None)).await;
        assert!(listed.is_err(), "{}: never read as `other`", test_db.label);
    }
}

/// A live track of `user` (plans' own store is not under test here).
async fn insert_track(tx: &mut Tx, user: Uuid) -> Uuid {
    let id = fresh_id(tx, &TRACKS).await;
    let stamp = sync_row::stamp(tx, user, at("2026-03-01T08:00:00Z"))
        .await
        .unwrap();
    let sql = sync_row::insert_sql(&TRACKS, &["title", "position"], "id");
    with_tx!(tx, conn => {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id).bind(user).bind(stamp.version).bind(stamp.at).bind("Thesis").bind(0_i32)
            .execute(&mut *conn).await.unwrap();
    });
    id
}

/// A live node of `user` on `track`.
async fn insert_node(tx: &mut Tx, user: Uuid, track: Uuid) -> Uuid {
    let id = fresh_id(tx, &NODES).await;
    let stamp = sync_row::stamp(tx, user, at("2026-03-01T08:00:00Z"))
        .await
        .unwrap();
    let sql = sync_row::insert_sql(
        &NODES,
        &["track_id", "type", "title", "status", "position", "locked"],
        "id",
    );
    with_tx!(tx, conn => {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id).bind(user).bind(stamp.version).bind(stamp.at)
            .bind(track).bind("task").bind("Outline").bind("open").bind(0_i32).bind(false)
            .execute(&mut *conn).await.unwrap();
    });
    id
}

fn doc(title: &str, body: &str) -> DocValues {
    DocValues {
        title: title.into(),
        body: body.into(),
        track_id: None,
        node_id: None,
    }
}

lifeos_kernel::dialect_test! {
    async fn docs_story(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let ada = insert_user(&db, "ada@example.com").await;
        let bob = insert_user(&db, "bob@example.com").await;

        let mut tx = db.begin().await.unwrap();
        let track = insert_track(&mut tx, ada).await;
        let node = insert_node(&mut tx, ada, track).await;
        let bobs_track = insert_track(&mut tx, bob).await;
        assert!(docs::store::track_is_live(&mut tx, ada, track).await.unwrap());
        assert!(!docs::store::track_is_live(&mut tx, bob, track).await.unwrap(), "another user's track");
        assert!(!docs::store::track_is_live(&mut tx, ada, bobs_track).await.unwrap());
        assert!(docs::store::node_is_live(&mut tx, ada, node).await.unwrap());
        assert!(!docs::store::node_is_live(&mut tx, bob, node).await.unwrap());
        assert!(!docs::store::node_is_live(&mut tx, ada, track).await.unwrap(), "a track is no node");

        let id = fresh_id(&mut tx, &DOCS).await;
        let first = sync_row::stamp(&mut tx, ada, at("2026-03-02T08:00:00Z")).await.unwrap();
        let values = DocValues { track_id: Some(track), ..doc("Plan", "# Plan\n\n100% done_soon") };
        let created = docs::store::insert(&mut tx, ada, id, first, &values).await.unwrap();
        assert_eq!(sync_row::new_row_id(&mut tx, &DOCS, Some(id)).await.unwrap(), None);
        let on_node = fresh_id(&mut tx, &DOCS).await;
        let stamp = sync_row::stamp(&mut tx, ada, at("2026-03-02T08:00:00Z")).await.unwrap();
        docs::store::insert(&mut tx, ada, on_node, stamp, &DocValues { node_id: Some(node), ..doc("Outline notes", "chapters") }).await.unwrap();
        let bobs = fresh_id(&mut tx, &DOCS).await;
        let stamp = sync_row::stamp(&mut tx, bob, at("2026-03-02T08:00:00Z")).await.unwrap();
        docs::store::insert(&mut tx, bob, bobs, stamp, &doc("Plan", "bob's plan")).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!((created.title.as_str(), created.track_id, created.node_id), ("Plan", Some(track), None));
        assert_eq!((created.version, created.created_at, created.updated_at), (first.version, first.at, first.at));

        let mut tx = db.begin().await.unwrap();
        assert_eq!(docs::store::get(&mut tx, ada, id).await.unwrap(), Some(created.clone()));
        assert_eq!(docs::store::get(&mut tx, bob, id).await.unwrap(), None);
        let second = sync_row::stamp(&mut tx, ada, at("2026-03-03T08:00:00Z")).await.unwrap();
        let unlinked = DocValues { track_id: None, title: "The plan".into(), ..values.clone() };
        assert_eq!(docs::store::update(&mut tx, bob, id, second, &unlinked).await.unwrap(), None);
        let updated = docs::store::update(&mut tx, ada, id, second, &unlinked).await.unwrap().expect("live");
        tx.commit().await.unwrap();
        assert_eq!((updated.title.as_str(), updated.track_id), ("The plan", None));
        assert_eq!((updated.version, updated.created_at, updated.updated_at), (second.version, first.at, second.at));

        // Filters: link, case-insensitive text with LIKE's wildcards taken literally.
        let ids = |filter: DocFilter| {
            let db = db.clone();
            async move {
                let found = docs::store::list(&db, ada, &filter, &page(50, None)).await.unwrap();
                found.items.iter().map(|d| d.id).collect::<Vec<_>>()
            }
        };
        let mut ours = vec![id, on_node];
        ours.sort();
        assert_eq!(ids(DocFilter::default()).await, ours, "by id, bob's left out");
        assert_eq!(ids(DocFilter { node_id: Some(node), ..DocFilter::default() }).await, [on_node]);
        assert!(ids(DocFilter { track_id: Some(track), ..DocFilter::default() }).await.is_empty(), "unlinked by the update");
        assert_eq!(ids(DocFilter { q: Some("THE PLAN".into()), ..DocFilter::default() }).await, [id]);
        assert_eq!(ids(DocFilter { q: Some("100% done_".into()), ..DocFilter::default() }).await, [id]);
        assert!(ids(DocFilter { q: Some("100%_done".into()), ..DocFilter::default() }).await.is_empty(), "wildcards are literal");
        assert_eq!(ids(DocFilter { q: Some("chapter".into()), ..DocFilter::default() }).await, [on_node], "the body is searched");
        let first_page = docs::store::list(&db, ada, &DocFilter::default(), &page(1, None)).await.unwrap();
        assert!(first_page.next_cursor.is_some());
        let rest = docs::store::list(&db, ada, &DocFilter::default(), &page(1, Some(ours[0]))).await.unwrap();
        assert_eq!(rest.items.iter().map(|d| d.id).collect::<Vec<_>>(), [ours[1]]);

        // Tombstone.
        let mut tx = db.begin().await.unwrap();
        let third = sync_row::stamp(&mut tx, ada, at("2026-03-04T08:00:00Z")).await.unwrap();
        assert!(!docs::store::delete(&mut tx, bob, id, third).await.unwrap());
        assert!(docs::store::delete(&mut tx, ada, id, third).await.unwrap());
        tx.commit().await.unwrap();
        assert_tombstoned(&db, &DOCS, ada, id, third).await;
        assert_eq!(ids(DocFilter::default()).await, [on_node]);
    }
}
