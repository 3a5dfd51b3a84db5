/**
 * Brake: the 7-day decision brake. The page reads the cycle (`GET /brake/state`) and asks
 * the server whether to show the brake now (`POST /brake/check`, optionally with an HRV
 * reading typed in). When the answer is `display` (HRV dropped during a high-stakes event
 * in the intervention phase), it shows the Proceed/Delay screen and records the choice
 * (`POST /brake/decisions`). On day 7 it asks the reflection question
 * (`POST /brake/reflections`). Checks and samples need the `health_data` consent, which
 * the page asks for before checking (so no refused request is made).
 */
import { unwrap, type CheckResult, type Consent, type HrvMetric, type Reason, type State } from "@lifeos/sdk";
import type { App, Page } from "../app";
import { button, h, inlineForm, needsConnection, problemText, section } from "../ui";

const PHASES: Record<string, string> = {
  baseline: "Baseline",
  intervention: "Intervention",
  integration: "Integration",
  reflection: "Reflection",
};

const PHASE_NOTES: Record<string, string> = {
  baseline: "Days 1 and 2: the brake learns your usual heart-rate variability.",
  intervention: "Days 3 to 5: the brake may ask you to pause before a high-stakes event.",
  integration: "Day 6: no brake; notice what the pauses changed.",
  reflection: "Day 7: one question about the week, then a new cycle.",
};

const REASONS: Record<Reason, string> = {
  display: "Your HRV dropped during a high-stakes event.",
  not_intervention_phase: "The brake only shows on days 3 to 5 of the cycle.",
  insufficient_data: "Not enough HRV data yet: the baseline needs 5 readings on 3 days.",
  no_active_high_stakes_event: "No high-stakes event is on right now.",
  hrv_not_dropped: "Your HRV is close to your baseline.",
  cooling_period_active: "You chose to pause: the cooling period is on.",
  decision_locked: "You chose to proceed with this event.",
};

const time = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

export const page: Page = {
  route: "brake",
  title: "Brake",
  async render(root: HTMLElement, app: App) {
    const api = app.client.api;
    if (!needsConnection(root, "Brake", "The brake answers from the server: it needs a connection.")) return;
    const stateEl = h("div", { class: "brake-state" });
    const screen = h("div", { class: "brake-screen-slot", "aria-live": "polite" });
    const reflectionEl = h("div", {});

    let state: State;
    let consent: Consent | undefined;
    try {
      const [s, consents] = await Promise.all([
        api.GET("/api/v1/brake/state").then(unwrap),
        api.GET("/api/v1/me/consents").then(unwrap),
      ]);
      state = s;
      consent = consents.items.find((c) => c.purpose === "health_data");
    } catch (err) {
      app.notify(problemText(err), "error");
      root.replaceChildren(section("Brake", h("p", {}, `The brake could not be loaded: ${problemText(err)}`)));
      return;
    }

    const drawState = (s: State) => {
      stateEl.replaceChildren(
        h(
          "dl",
          { class: "stats" },
          h("div", {}, h("dt", {}, "Cycle day"), h("dd", { "data-testid": "brake-day" }, `Day ${s.currentDay} of 7`)),
          h("div", {}, h("dt", {}, "Phase"), h("dd", {}, PHASES[s.phase] ?? s.phase)),
          h("div", {}, h("dt", {}, "Cycle started"), h("dd", {}, s.cycleStart)),
          s.cooling ? h("div", {}, h("dt", {}, "Paused until"), h("dd", {}, time(s.cooling.endsAt))) : null,
        ),
        h("p", { class: "muted" }, PHASE_NOTES[s.phase] ?? ""),
      );
    };

    const showResult = (result: CheckResult) => {
      if (result.shouldDisplay && result.eventId) {
        screen.replaceChildren(brakeScreen(result));
        screen.querySelector<HTMLElement>("h2")?.focus();
      } else {
        screen.replaceChildren(
          h(
            "p",
            { class: "brake-calm", "data-testid": "brake-reason" },
            `No brake now. ${REASONS[result.reason] ?? result.reason}`,
            result.coolingEndsAt ? ` It ends at ${time(result.coolingEndsAt)}.` : "",
          ),
        );
      }
    };

    const check = async (body: { hrvSample?: { measuredAt: string; valueMs: number; metric: HrvMetric; source: "manual" } } = {}) => {
      const result = unwrap(await api.POST("/api/v1/brake/check", { body }));
      showResult(result);
      return result;
    };

    const brakeScreen = (result: CheckResult): HTMLElement => {
      const headingId = "brake-heading";
      const descId = "brake-desc";
      const minutes = state.settings.coolingMinutes;
      const facts: string[] = [];
      if (result.hrvCurrent != null && result.hrvBaselineMean != null) {
        facts.push(`Your HRV is ${Math.round(result.hrvCurrent)} ms; your baseline is ${Math.round(result.hrvBaselineMean)} ms.`);
      }
      const eventId = result.eventId!;
      const decide = async (decisionType: "proceed" | "delay") => {
        const done = unwrap(await api.POST("/api/v1/brake/decisions", { body: { decisionType, eventId } }));
        const message =
          done.nextAction === "cooling_period_activated"
            ? `Delayed. Take a breath: the brake rests until ${done.reTriggerTime ? time(done.reTriggerTime) : "the pause ends"}.`
            : "Proceeding. The brake will not show again for this event.";
        screen.replaceChildren(h("p", { class: "brake-calm", "data-testid": "brake-decision", tabindex: "-1" }, message));
        screen.querySelector<HTMLElement>("p")?.focus();
        app.notify(message);
        drawState(unwrap(await api.GET("/api/v1/brake/state")));
      };
      return h(
        "section",
        { class: "card brake-screen", "aria-labelledby": headingId, "aria-describedby": descId },
        h("h2", { id: headingId, tabindex: "-1" }, "Pause before you go on"),
        h("div", { id: descId }, h("p", {}, REASONS.display), ...facts.map((f) => h("p", {}, f)), h("p", {}, `Delay gives you ${minutes} quiet minutes first.`)),
        h(
          "div",
          { class: "row brake-actions" },
          button("Delay", () => decide("delay"), { class: "primary" }),
          button("Proceed", () => decide("proceed")),
        ),
      );
    };

    const drawReflection = (s: State) => {
      if (!s.shouldDisplayReflection) {
        reflectionEl.replaceChildren();
        return;
      }
      const answer = async (response: "yes" | "no" | "skip") => {
        const done = unwrap(await api.POST("/api/v1/brake/reflections", { body: { response } }));
        reflectionEl.replaceChildren(
          h(
            "p",
            { "data-testid": "reflection-done", "data-next-cycle": done.cycleReset.newCycleStart },
            `Thank you. The next cycle starts on ${new Date(done.cycleReset.newCycleStart).toLocaleDateString([], {
              weekday: "long",
              day: "numeric",
              month: "long",
            })}.`,
          ),
        );
        drawState(unwrap(await api.GET("/api/v1/brake/state")));
      };
      reflectionEl.replaceChildren(
        section(
          "Day 7 reflection",
          h("p", {}, "In the past 7 days, did pausing help?"),
          s.reflectionOverdue ? h("p", { class: "muted" }, "This question is overdue: the next cycle starts once you answer.") : h("span", {}),
          h(
            "div",
            { class: "row" },
            button("Yes, pausing helped", () => answer("yes")),
            button("No, it did not", () => answer("no")),
            button("Skip the question", () => answer("skip")),
          ),
        ),
      );
    };

    drawState(state);
    drawReflection(state);

    // The brake screen and the day-7 question come first when they show.
    const parts: Node[] = [screen, reflectionEl, section("Your cycle", stateEl)];
    if (!consent?.granted) {
      parts.push(
        section(
          "Health data",
          h("p", {}, "The brake compares your heart-rate variability with your baseline, so it needs your consent to use health data."),
          button("Allow health data for the brake", async () => {
            unwrap(await api.PUT("/api/v1/me/consents/{purpose}", { params: { path: { purpose: "health_data" } }, body: { granted: true } }));
            app.notify("Health data consent given.");
            app.refresh();
          }),
        ),
      );
    } else {
      const value = h("input", { type: "number", min: "1", max: "10000", step: "any", inputmode: "decimal" });
      const metric = h("select", {}, h("option", { value: "rmssd" }, "RMSSD"), h("option", { value: "sdnn" }, "SDNN"));
      parts.push(
        section(
          "Check now",
          inlineForm(
            "Check with an HRV reading",
            [
              { label: "HRV now in ms (optional)", input: value },
              { label: "HRV measure", input: metric },
            ],
            async ([reading, measure]) => {
              const v = Number(reading);
              if (reading && v > 0) {
                await check({
                  hrvSample: { measuredAt: new Date().toISOString(), valueMs: v, metric: measure as HrvMetric, source: "manual" },
                });
              } else {
                await check();
              }
            },
            "Check the brake",
          ),
        ),
      );
    }
    root.replaceChildren(...parts);

    if (consent?.granted) {
      try {
        await check();
      } catch (err) {
        app.notify(problemText(err), "error");
      }
    }
  },
};
