/**
 * Small DOM helpers used by every page. No inline styles or scripts: everything here
 * builds elements through the DOM API, so the app runs under the strict CSP.
 */
import { LifeosApiError } from "@lifeos/sdk";
import type { App } from "./app";

type Attr = string | boolean | ((e: Event) => void);
type Child = Node | string | null | undefined;

let notifier: (message: string, kind?: "info" | "error") => void = (message, kind) => {
  if (kind === "error") console.warn(message);
};

/** Installed by main.ts: where `button` reports the errors of its handler. */
export function setNotifier(fn: (message: string, kind?: "info" | "error") => void): void {
  notifier = fn;
}

/**
 * `h("button", { class: "x", onclick: fn, "aria-label": "..." }, "text")`. Keys starting
 * with "on" attach listeners; `true` sets a boolean attribute, `false` leaves it off.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Record<string, Attr>,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else if (value === false) {
      continue;
    } else if (key === "value" && "value" in el) {
      (el as HTMLInputElement).value = value;
      el.setAttribute(key, value);
    } else {
      el.setAttribute(key, value);
    }
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    el.append(child);
  }
  return el;
}

/** A `<label>` holding its text and the control, so every input has an accessible name. */
export function field(
  label: string,
  input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
): HTMLElement {
  return h("label", { class: "field" }, h("span", { class: "field-label" }, label), input);
}

/**
 * A `<button type="button">` that disables itself while its handler's promise runs and
 * reports a thrown error through the app's status region.
 */
export function button(
  label: string,
  onClick: (e: Event) => void | Promise<void>,
  attrs?: Record<string, string>,
): HTMLButtonElement {
  const el = h("button", { type: "button", ...(attrs ?? {}) }, label);
  el.addEventListener("click", async (e) => {
    if (el.disabled) return;
    el.disabled = true;
    el.setAttribute("aria-busy", "true");
    try {
      await onClick(e);
    } catch (err) {
      notifier(problemText(err), "error");
    } finally {
      el.disabled = false;
      el.removeAttribute("aria-busy");
    }
  });
  return el;
}

/** The problem+json `detail` of a `LifeosApiError`, else a plain sentence. */
export function problemText(error: unknown): string {
  if (error instanceof LifeosApiError) {
    return error.problem.detail || error.problem.title || `The server answered ${error.status}.`;
  }
  if (error && typeof error === "object" && "problem" in error) {
    const p = (error as { problem?: { detail?: string; title?: string } }).problem;
    if (p?.detail || p?.title) return String(p.detail || p.title);
  }
  if (error instanceof TypeError || (error instanceof Error && error.name === "SyncUnavailableError")) {
    return "The server cannot be reached; check the connection and try again.";
  }
  if (error instanceof Error && error.message) return error.message;
  return "Something went wrong.";
}

let sectionSeq = 0;

/** A `<section aria-labelledby>` with an `<h2>` title. */
export function section(title: string, ...children: Node[]): HTMLElement {
  const id = `section-${++sectionSeq}`;
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

/** A labelled control of `inlineForm`; `required`: the message when its trimmed value is empty. */
export interface FormField {
  label: string;
  input: Control;
  required?: string;
}

/**
 * A `<form class="row inline-form" aria-label>` of labelled `fields`, then `actions` (a
 * string is a submit button with that text). On submit: no page load; the first required
 * field whose trimmed value is empty is reported through the status region and focused;
 * otherwise `onSubmit` gets the trimmed values in field order, and an error it throws is
 * reported through the status region.
 */
export function inlineForm(
  label: string,
  fields: FormField[],
  onSubmit: (values: string[]) => void | Promise<void>,
  ...actions: (Node | string)[]
): HTMLFormElement {
  return h(
    "form",
    {
      class: "row inline-form",
      "aria-label": label,
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const values = fields.map((f) => f.input.value.trim());
        const empty = fields.findIndex((f, i) => f.required !== undefined && !values[i]);
        if (empty >= 0) {
          notifier(fields[empty]!.required!, "error");
          fields[empty]!.input.focus();
          return;
        }
        try {
          await onSubmit(values);
        } catch (err) {
          notifier(problemText(err), "error");
        }
      },
    },
    ...fields.map((f) => field(f.label, f.input)),
    ...actions.map((a) => (typeof a === "string" ? h("button", { type: "submit" }, a) : a)),
  );
}

/**
 * For pages computed on the server: while offline, shows `message` in a card titled
 * `title` and answers false (the page renders nothing else); online, answers true.
 */
export function needsConnection(root: HTMLElement, title: string, message: string): boolean {
  if (navigator.onLine) return true;
  root.replaceChildren(section(title, h("p", {}, message)));
  return false;
}

/** Push the queue and pull the server's changes when online; false when offline or failed (reported). */
export async function syncNow(app: Pick<App, "offline" | "notify">): Promise<boolean> {
  if (!navigator.onLine) return false;
  try {
    await app.offline.sync();
    return true;
  } catch (err) {
    app.notify(problemText(err), "error");
    return false;
  }
}
