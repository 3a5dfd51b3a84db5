/**
 * Log: the day types of a month with the plan-versus-actual report, hikes (a GPX upload
 * with the computed distance, climb and an inline SVG preview of the track), and vehicle
 * maintenance with when each service is next due.
 *
 * Day types are written through the sync replica (`app.offline`, entity `day_type`), so a
 * day can be logged offline; the report, hikes and maintenance use the REST API.
 */
import {
  importGpx,
  unwrap,
  type DayKind,
  type DayType,
  type GeoJsonLine,
  type Hike,
  type Maintenance,
  type MonthlyReport,
  type ServiceDue,
  type ServiceType,
  type Vehicle,
} from "@lifeos/sdk";
import type { App, Page } from "../app";
import { field, h, inlineForm, problemText, section, syncNow } from "../ui";

const SVG_NS = "http://www.w3.org/2000/svg";

const DAY_KINDS: Array<[DayKind, string]> = [
  ["focus", "Focus"],
  ["buffer", "Buffer"],
  ["free", "Free"],
];
const kindLabel = (k: DayKind | null | undefined) => DAY_KINDS.find(([v]) => v === k)?.[1] ?? "—";

const SERVICE_TYPES: Array<[ServiceType, string]> = [
  ["oil_change", "Oil change"],
  ["tire_rotation", "Tire rotation"],
  ["tire_change", "Tire change"],
  ["brake_service", "Brake service"],
  ["inspection", "Inspection"],
  ["battery", "Battery"],
  ["air_filter", "Air filter"],
  ["cabin_filter", "Cabin filter"],
  ["coolant", "Coolant"],
  ["transmission_service", "Transmission service"],
  ["alignment", "Alignment"],
  ["wiper_blades", "Wiper blades"],
  ["other", "Other"],
];
const serviceLabel = (t: ServiceType, label?: string | null) =>
  t === "other" ? label || "Other" : (SERVICE_TYPES.find(([v]) => v === t)?.[1] ?? t) + (label ? ` (${label})` : "");

function isoDate(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

function table(caption: string, head: string[], rows: Array<Array<string | Node>>): HTMLTableElement {
  return h(
    "table",
    {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, ...head.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, ...rows.map((r) => h("tr", {}, ...r.map((c) => h("td", {}, c))))),
  );
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string> = {}): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

/**
 * A map-free preview of a track: one `<polyline>` per segment, longitudes scaled by the
 * cosine of the mid latitude so the shape keeps its proportions, north up.
 */
export function trackPreview(track: GeoJsonLine, label: string, size = 160): SVGSVGElement {
  const lines: number[][][] =
    track.type === "LineString" ? [track.coordinates as number[][]] : (track.coordinates as number[][][]);
  const points = lines.flat().filter((p) => p.length >= 2);
  const el = svg("svg", { viewBox: `0 0 ${size} ${size}`, width: String(size), height: String(size), role: "img", class: "track-preview" });
  el.setAttribute("aria-label", label);
  const title = svg("title");
  title.textContent = label;
  el.append(title);
  if (points.length === 0) return el;
  const lats = points.map((p) => p[1]!);
  const midLat = (Math.min(...lats) + Math.max(...lats)) / 2;
  const k = Math.cos((midLat * Math.PI) / 180);
  const xs = points.map((p) => p[0]! * k);
  const minX = Math.min(...xs);
  const maxX = Math.max(...xs);
  const minY = Math.min(...lats);
  const maxY = Math.max(...lats);
  const span = Math.max(maxX - minX, maxY - minY) || 1;
  const pad = 8;
  const scale = (size - 2 * pad) / span;
  // Centre the shape in the square.
  const offX = pad + (size - 2 * pad - (maxX - minX) * scale) / 2;
  const offY = pad + (size - 2 * pad - (maxY - minY) * scale) / 2;
  const project = (p: number[]) =>
    `${(offX + (p[0]! * k - minX) * scale).toFixed(1)},${(offY + (maxY - p[1]!) * scale).toFixed(1)}`;
  el.append(svg("rect", { x: "0", y: "0", width: String(size), height: String(size), rx: "8", class: "track-preview-bg", fill: "#111", stroke: "#333" }));
  for (const line of lines) {
    const pts = line.filter((p) => p.length >= 2);
    if (pts.length === 0) continue;
    el.append(
      svg("polyline", {
        points: pts.map(project).join(" "),
        fill: "none",
        stroke: "#7fd4a8",
        "stroke-width": "3",
        "stroke-linejoin": "round",
        "stroke-linecap": "round",
      }),
    );
  }
  const start = pts0(lines);
  if (start) {
    const [x, y] = project(start).split(",");
    el.append(svg("circle", { cx: x!, cy: y!, r: "4", fill: "#f5f5f5" }));
  }
  return el;
}

function pts0(lines: number[][][]): number[] | undefined {
  return lines.find((l) => l.length > 0)?.[0];
}

function hikeSummary(hike: Hike): string {
  const parts = [`${hike.distanceKm.toFixed(2)} km`];
  if (hike.elevationGainM != null) parts.push(`${hike.elevationGainM} m climb`);
  if (hike.durationMinutes != null) parts.push(`${hike.durationMinutes} min`);
  return parts.join(", ");
}

function hikeView(hike: Hike): HTMLElement {
  const label = `Track of the hike on ${hike.date}`;
  return h(
    "article",
    { class: "hike", "aria-label": `Hike on ${hike.date}` },
    h("h4", {}, `Hike on ${hike.date}`),
    h(
      "dl",
      { class: "stats" },
      h("div", {}, h("dt", {}, "Distance"), h("dd", { "data-testid": "hike-distance" }, `${hike.distanceKm.toFixed(2)} km`)),
      h(
        "div",
        {},
        h("dt", {}, "Elevation gain"),
        h("dd", { "data-testid": "hike-elevation" }, hike.elevationGainM != null ? `${hike.elevationGainM} m` : "—"),
      ),
      h("div", {}, h("dt", {}, "Duration"), h("dd", {}, hike.durationMinutes != null ? `${hike.durationMinutes} min` : "—")),
    ),
    hike.track ? trackPreview(hike.track, label) : h("p", {}, "No track recorded."),
  );
}

export const page: Page = {
  route: "log",
  title: "Log",
  async render(root: HTMLElement, app: App) {
    const api = app.client.api;
    const now = new Date();
    let month = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}`;

    await syncNow(app);

    // -- day types -------------------------------------------------------------
    const reportEl = h("div", { class: "report", "aria-live": "polite" });
    const dayTypeOn = (date: string): DayType | undefined =>
      (app.offline.all("day_type") as unknown as DayType[]).find((d) => d.date === date);

    const drawReport = async () => {
      const monthRows = (app.offline.all("day_type") as unknown as DayType[])
        .filter((d) => d.date?.startsWith(month))
        .sort((a, b) => (a.date < b.date ? -1 : 1));
      let report: MonthlyReport | null = null;
      if (navigator.onLine) {
        try {
          report = unwrap(await api.GET("/api/v1/day-types/report/monthly", { params: { query: { month } } }));
        } catch (err) {
          app.notify(problemText(err), "error");
        }
      }
      const parts: Node[] = [];
      if (report) {
        const counts = (c: MonthlyReport["plannedByType"]) => `focus ${c.focus}, buffer ${c.buffer}, free ${c.free}`;
        parts.push(
          h(
            "dl",
            { class: "stats", "aria-label": `Plan versus actual, ${month}` },
            h("div", {}, h("dt", {}, "Planned"), h("dd", { class: "small" }, counts(report.plannedByType))),
            h("div", {}, h("dt", {}, "Actual"), h("dd", { class: "small" }, counts(report.actualByType))),
            h(
              "div",
              {},
              h("dt", {}, "Matched"),
              h(
                "dd",
                { "data-testid": "day-report-matched" },
                `${report.matched} of ${report.daysWithBoth} days (${Math.round(report.matchRate * 100)} %)`,
              ),
            ),
            h("div", {}, h("dt", {}, "Days without an entry"), h("dd", {}, String(report.unplannedDays))),
          ),
        );
        const rows = report.days.map((d) => [d.date, kindLabel(d.plannedType), kindLabel(d.actualType)]);
        parts.push(
          rows.length > 0
            ? table(`Days of ${month}`, ["Date", "Planned", "Actual"], rows)
            : h("p", {}, `No day planned in ${month} yet.`),
        );
      } else {
        parts.push(h("p", {}, "The report needs a connection; these are the days on this device."));
        parts.push(
          table(
            `Days of ${month} on this device`,
            ["Date", "Planned", "Actual"],
            monthRows.map((d) => [d.date, kindLabel(d.plannedType), kindLabel(d.actualType)]),
          ),
        );
      }
      reportEl.replaceChildren(h("h3", {}, `Plan versus actual, ${month}`), ...parts);
    };

    const monthInput = h("input", { type: "month", value: month });
    monthInput.addEventListener("change", () => {
      if (/^\d{4}-\d{2}$/.test(monthInput.value)) {
        month = monthInput.value;
        void drawReport();
      }
    });
    const dateInput = h("input", { type: "date", value: isoDate(now), required: true });
    const planned = h("select", {}, ...DAY_KINDS.map(([v, l]) => h("option", { value: v }, l)));
    const actual = h("select", {}, h("option", { value: "" }, "Not yet"), ...DAY_KINDS.map(([v, l]) => h("option", { value: v }, l)));
    const notes = h("input", { type: "text", maxlength: "1000" });
    const fillFromReplica = () => {
      const existing = dayTypeOn(dateInput.value);
      if (existing) {
        planned.value = existing.plannedType;
        actual.value = existing.actualType ?? "";
        notes.value = existing.notes ?? "";
      }
    };
    dateInput.addEventListener("change", fillFromReplica);
    fillFromReplica();

    const dayForm = inlineForm(
      "Log a day type",
      [
        { label: "Date", input: dateInput },
        { label: "Planned day type", input: planned },
        { label: "Actual day type", input: actual },
        { label: "Notes", input: notes },
      ],
      async ([date = "", plannedType = "", actualType, note]) => {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) {
          app.notify("Choose a date.", "error");
          dateInput.focus();
          return;
        }
        const fields = { plannedType, actualType: actualType || null, notes: note || null };
        const existing = dayTypeOn(date);
        if (existing) await app.offline.upsert("day_type", existing.id, fields);
        else await app.offline.upsert("day_type", crypto.randomUUID(), { date, ...fields });
        const synced = await syncNow(app);
        if (!date.startsWith(month)) {
          month = date.slice(0, 7);
          monthInput.value = month;
        }
        await drawReport();
        app.notify(
          synced
            ? `Saved ${date}: planned ${kindLabel(plannedType as DayKind)}.`
            : `Saved ${date} on this device; it syncs when you are online.`,
        );
      },
      "Save day type",
    );

    // -- hikes -------------------------------------------------------------------
    const hikeList = h("div", { class: "hikes", "aria-live": "polite" });
    const drawHikes = async () => {
      if (!navigator.onLine) {
        hikeList.replaceChildren(h("p", {}, "Hikes need a connection."));
        return;
      }
      try {
        const page = unwrap(await api.GET("/api/v1/hikes", { params: { query: { limit: 500 } } }));
        // The one logged last (with its track), then the others by date, newest first.
        const latest = [...page.items].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))[0];
        const others = [...page.items].reverse().filter((x) => x.id !== latest?.id).slice(0, 10);
        hikeList.replaceChildren(
          h("h3", {}, "Logged last"),
          latest ? hikeView(latest) : h("p", {}, "No hikes yet."),
          others.length > 0 ? h("h3", {}, "Earlier hikes") : "",
          others.length > 0
            ? h("ul", { class: "list" }, ...others.map((hike) => h("li", {}, `${hike.date}: ${hikeSummary(hike)}`)))
            : "",
        );
      } catch (err) {
        app.notify(problemText(err), "error");
      }
    };
    const gpxFile = h("input", { type: "file", accept: ".gpx,application/gpx+xml,application/xml,text/xml" });
    const hikeDate = h("input", { type: "date" });
    const gpxForm = inlineForm(
      "Import a GPX file",
      [
        { label: "GPX file", input: gpxFile, required: "Choose a GPX file first." },
        { label: "Date of the hike (optional)", input: hikeDate },
      ],
      async ([, date]) => {
        const file = gpxFile.files?.[0];
        if (!file) return;
        const submit = gpxForm.querySelector("button[type=submit]") as HTMLButtonElement;
        submit.disabled = true;
        try {
          const hike = await importGpx(app.client, file, date ? { date } : undefined, { idempotencyKey: crypto.randomUUID() });
          gpxFile.value = "";
          await syncNow(app);
          await drawHikes();
          app.notify(`Imported a hike of ${hikeSummary(hike)}.`);
        } finally {
          submit.disabled = false;
        }
      },
      h("button", { type: "submit" }, "Import GPX"),
    );

    // -- vehicles and maintenance ------------------------------------------------
    let vehicles: Vehicle[] = [];
    const vehicleSelect = h("select", {});
    const dueEl = h("div", { class: "service-due", "aria-live": "polite" });
    const maintList = h("div", { class: "maintenance" });
    const drawVehicles = async () => {
      if (!navigator.onLine) {
        dueEl.replaceChildren(h("p", {}, "Vehicle maintenance needs a connection."));
        return;
      }
      try {
        vehicles = unwrap(await api.GET("/api/v1/vehicles", { params: { query: { limit: 500 } } })).items;
        const chosen = vehicleSelect.value;
        vehicleSelect.replaceChildren(
          ...vehicles.map((v) => h("option", { value: v.id }, v.name)),
          h("option", { value: "" }, "No registered vehicle"),
        );
        if (chosen && vehicles.some((v) => v.id === chosen)) vehicleSelect.value = chosen;
        const records = unwrap(await api.GET("/api/v1/vehicle-maintenance", { params: { query: { limit: 500 } } })).items;
        const name = (id: string | null | undefined) => vehicles.find((v) => v.id === id)?.name ?? "—";
        const recent = [...records].reverse().slice(0, 20);
        maintList.replaceChildren(
          recent.length === 0
            ? h("p", {}, "No maintenance logged yet.")
            : table(
                "Recent maintenance",
                ["Date", "Vehicle", "Service", "Odometer", "Cost"],
                recent.map((m: Maintenance) => [
                  m.date,
                  name(m.vehicleId),
                  serviceLabel(m.serviceType, m.serviceLabel),
                  m.mileage != null ? `${m.mileage.toLocaleString()} ${m.odometerUnit}` : "—",
                  m.costMinor != null ? `${(m.costMinor / 100).toFixed(2)} ${m.currency ?? ""}` : "—",
                ]),
              ),
        );
        const dues: HTMLElement[] = [];
        for (const v of vehicles) {
          const due: ServiceDue = unwrap(
            await api.GET("/api/v1/vehicles/{id}/service-due", { params: { path: { id: v.id } } }),
          );
          dues.push(
            due.items.length === 0
              ? h("p", {}, `${v.name}: a service shows when it is next due once it has two or more records.`)
              : table(
                  `Service due for ${v.name}`,
                  ["Service", "Records", "Last", "Next due", "Next due at"],
                  due.items.map((d) => [
                    serviceLabel(d.serviceType, d.serviceLabel),
                    String(d.records),
                    d.lastDate + (d.lastMileage != null ? ` (${d.lastMileage.toLocaleString()} ${d.odometerUnit})` : ""),
                    d.nextDueDate,
                    d.nextDueMileage != null ? `${d.nextDueMileage.toLocaleString()} ${d.odometerUnit}` : "—",
                  ]),
                ),
          );
        }
        dueEl.replaceChildren(h("h3", {}, "Service due"), ...(dues.length ? dues : [h("p", {}, "Register a vehicle to see when its services are due.")]));
      } catch (err) {
        app.notify(problemText(err), "error");
      }
    };

    const vehicleName = h("input", { type: "text", required: true, maxlength: "200", autocomplete: "off" });
    const vehicleMake = h("input", { type: "text", maxlength: "200" });
    const vehicleModel = h("input", { type: "text", maxlength: "200" });
    const vehicleForm = inlineForm(
      "Register a vehicle",
      [
        { label: "Vehicle name", input: vehicleName, required: "A vehicle needs a name." },
        { label: "Make", input: vehicleMake },
        { label: "Model", input: vehicleModel },
      ],
      async ([name = "", make, model]) => {
        const v = unwrap(await api.POST("/api/v1/vehicles", { body: { id: crypto.randomUUID(), name, make: make || null, model: model || null } }));
        vehicleName.value = vehicleMake.value = vehicleModel.value = "";
        await syncNow(app);
        await drawVehicles();
        vehicleSelect.value = v.id;
        app.notify(`Registered ${v.name}.`);
      },
      "Add vehicle",
    );

    const serviceDate = h("input", { type: "date", value: isoDate(now), required: true });
    const serviceType = h("select", {}, ...SERVICE_TYPES.map(([v, l]) => h("option", { value: v }, l)));
    const serviceText = h("input", { type: "text", maxlength: "200" });
    const mileage = h("input", { type: "number", min: "0", step: "1", inputmode: "numeric" });
    const unit = h("select", {}, h("option", { value: "km" }, "km"), h("option", { value: "mi" }, "mi"));
    const cost = h("input", { type: "number", min: "0", step: "0.01", inputmode: "decimal" });
    const currency = h("input", { type: "text", maxlength: "3", value: "EUR", autocomplete: "off" });
    const maintForm = inlineForm(
      "Log maintenance",
      [
        { label: "Vehicle", input: vehicleSelect },
        { label: "Service date", input: serviceDate },
        { label: "Service", input: serviceType },
        { label: "What was done (required for Other)", input: serviceText },
        { label: "Odometer", input: mileage },
        { label: "Odometer unit", input: unit },
        { label: "Cost", input: cost },
        { label: "Currency", input: currency },
      ],
      async ([vehicleId, date = "", kind, label, odometer, odometerUnit, costText, currencyCode = ""]) => {
        const type = kind as ServiceType;
        if (type === "other" && !label) {
          app.notify("Say what was done for a service of type Other.", "error");
          serviceText.focus();
          return;
        }
        const costValue = costText ? Math.round(Number(costText) * 100) : null;
        unwrap(
          await api.POST("/api/v1/vehicle-maintenance", {
            body: {
              id: crypto.randomUUID(),
              vehicleId: vehicleId || null,
              date,
              serviceType: type,
              serviceLabel: label || null,
              mileage: odometer ? Number(odometer) : null,
              odometerUnit: odometerUnit as "km" | "mi",
              costMinor: costValue,
              currency: costValue != null ? currencyCode.toUpperCase() || null : null,
            },
          }),
        );
        mileage.value = cost.value = serviceText.value = "";
        await syncNow(app);
        await drawVehicles();
        app.notify(`Logged ${serviceLabel(type)} on ${date}.`);
      },
      "Add maintenance entry",
    );

    root.replaceChildren(
      section("Day types", field("Month", monthInput), dayForm, reportEl),
      section("Hikes", gpxForm, hikeList),
      section("Vehicle maintenance", vehicleForm, maintForm, dueEl, maintList),
    );
    await Promise.all([drawReport(), drawHikes(), drawVehicles()]);
  },
};

