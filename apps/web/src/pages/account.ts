/**
 * Account: sign in (password or magic link) and register when signed out; when signed
 * in, the profile, API keys for the assistant (the key shown once), consents, export,
 * sign out and account deletion.
 */
import { LifeosApiError, unwrap, type LifeosClient, type User } from "@lifeos/sdk";
import type { Page } from "../app";
import { button, field, h, problemText, section } from "../ui";
import { forgetSession, rememberUser } from "../session";
import { namespaceFor, stopListener, storage } from "../offline";

export interface SignedOutContext {
  client: LifeosClient;
  notify(message: string, kind?: "info" | "error"): void;
  signedIn(user: User): void;
}

function input(attrs: Record<string, string | boolean>): HTMLInputElement {
  return h("input", attrs);
}

/** The sign-in and register forms, shown instead of every page while signed out. */
export function renderSignedOut(root: HTMLElement, ctx: SignedOutContext): void {
  const title = h("h1", {}, "Welcome to lifeos");

  const signInEmail = input({ type: "email", name: "email", autocomplete: "username", required: true });
  const signInPassword = input({ type: "password", name: "password", autocomplete: "current-password" });
  const signIn = h(
    "form",
    {
      class: "stack",
      "aria-labelledby": "signin-title",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const submit = signIn.querySelector("button[type=submit]") as HTMLButtonElement;
        submit.disabled = true;
        try {
          if (!signInPassword.value) {
            ctx.notify("Enter your password, or ask for a sign-in link.", "error");
            signInPassword.focus();
            return;
          }
          const session = await ctx.client.login(signInEmail.value.trim(), signInPassword.value);
          ctx.signedIn(session.user);
        } catch (err) {
          ctx.notify(problemText(err), "error");
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("h2", { id: "signin-title" }, "Sign in"),
    field("E-mail", signInEmail),
    field("Password", signInPassword),
    h("div", { class: "row" },
      h("button", { type: "submit", class: "primary" }, "Sign in"),
      button("E-mail me a sign-in link", async () => {
        const email = signInEmail.value.trim();
        if (!email) {
          ctx.notify("Enter your e-mail address first.", "error");
          signInEmail.focus();
          return;
        }
        const { error, response } = await ctx.client.api.POST("/api/v1/auth/magic-link", { body: { email } });
        if (!response.ok) throw LifeosApiError.from(error, response);
        ctx.notify(`If ${email} has an account, a sign-in link is on its way. Open it on this device.`);
      }),
    ),
  );

  const regEmail = input({ type: "email", name: "email", autocomplete: "email", required: true });
  const regName = input({ type: "text", name: "displayName", autocomplete: "nickname" });
  const regPassword = input({ type: "password", name: "new-password", autocomplete: "new-password", required: true, minlength: "10" });
  const register = h(
    "form",
    {
      class: "stack",
      "aria-labelledby": "register-title",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const submit = register.querySelector("button[type=submit]") as HTMLButtonElement;
        submit.disabled = true;
        try {
          const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
          const session = await ctx.client.register({
            email: regEmail.value.trim(),
            password: regPassword.value,
            displayName: regName.value.trim() || null,
            timezone,
          });
          ctx.signedIn(session.user);
          ctx.notify("Welcome! Your account is ready.");
        } catch (err) {
          ctx.notify(problemText(err), "error");
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("h2", { id: "register-title" }, "Create an account"),
    field("E-mail", regEmail),
    field("Name (optional)", regName),
    field("Password (at least 10 characters)", regPassword),
    h("button", { type: "submit", class: "primary" }, "Create account"),
  );

  root.replaceChildren(h("div", { class: "page page-signin" }, title, h("div", { class: "grid" }, h("section", { class: "card" }, signIn), h("section", { class: "card" }, register))));
}

function fmt(ts: string | null | undefined): string {
  return ts ? new Date(ts).toLocaleString() : "never";
}

const PURPOSES: Record<string, string> = {
  recommendations: "Tips from the recommender",
  health_data: "Health data (heart-rate variability, Apple Health)",
  integrations: "Connected services (Todoist, Google Calendar)",
};

export const page: Page = {
  route: "account",
  title: "Account",
  async render(root, app) {
    const api = app.client.api;

    // -- profile ---------------------------------------------------------------
    const profile = section(
      "Profile",
      h("p", {}, `Signed in as ${app.user.email}${app.user.displayName ? ` (${app.user.displayName})` : ""}.`),
      h("p", { class: "muted" }, `Time zone ${app.user.timezone}; your day starts at ${app.user.dayStartHour}:00.`),
      button("Sign out", async () => {
        // Forgotten first, so the cleared tokens do not read as a lost session.
        forgetSession();
        stopListener();
        try {
          await app.client.logout();
        } finally {
          location.reload();
        }
      }),
    );

    // -- API keys --------------------------------------------------------------
    const keyList = h("ul", { class: "list", "aria-label": "API keys" });
    const keyShown = h("div", { class: "secret", "aria-live": "polite" });
    // Revoking asks in place (no browser dialog): the button turns into a question with
    // "Revoke … for good" and "Keep …"; the answer's button takes the focus.
    const revokeControl = (key: { id: string; name: string }): HTMLElement => {
      const slot = h("span", { class: "row" });
      const ask = button(`Revoke ${key.name}`, async () => {
        slot.replaceChildren(question);
        sure.focus();
      }, { class: "danger" });
      const sure = button(`Revoke ${key.name} for good`, async () => {
        const { error, response } = await api.DELETE("/api/v1/me/api-keys/{id}", { params: { path: { id: key.id } } });
        if (!response.ok) throw LifeosApiError.from(error, response);
        app.notify(`The key "${key.name}" is revoked.`);
        await loadKeys();
      }, { class: "danger" });
      const question = h(
        "span",
        { class: "row confirm", role: "group", "aria-label": `Revoke ${key.name}?` },
        h("span", {}, `Revoke "${key.name}"? Whatever uses it stops working at once.`),
        sure,
        button(`Keep ${key.name}`, async () => {
          slot.replaceChildren(ask);
          ask.focus();
        }),
      );
      slot.append(ask);
      return slot;
    };
    const loadKeys = async () => {
      const keys = unwrap(await api.GET("/api/v1/me/api-keys", { params: { query: { limit: 100 } } }));
      keyList.replaceChildren(
        ...(keys.items.length === 0 ? [h("li", { class: "muted" }, "No API keys yet.")] : []),
        ...keys.items.map((key) =>
          h(
            "li",
            { class: "row spread" },
            h("span", {}, h("strong", {}, key.name), ` ${key.prefix}… · ${key.scopes.join(", ")} · last used ${fmt(key.lastUsedAt)}`),
            revokeControl(key),
          ),
        ),
      );
    };
    const keyName = input({ type: "text", name: "key-name", value: "voice assistant", required: true, maxlength: "100" });
    const keyWrite = input({ type: "checkbox", name: "key-write", checked: true });
    const keyForm = h(
      "form",
      {
        class: "row",
        onsubmit: async (e: Event) => {
          e.preventDefault();
          try {
            const created = unwrap(
              await api.POST("/api/v1/me/api-keys", {
                body: { name: keyName.value.trim(), scopes: keyWrite.checked ? ["read", "write"] : ["read"] },
              }),
            );
            const code = h("code", { "data-testid": "new-api-key" }, created.key);
            keyShown.replaceChildren(
              h("p", {}, `The key for "${created.name}" — copy it now, it is not shown again:`),
              code,
              button("Copy", async () => {
                await navigator.clipboard.writeText(created.key);
                app.notify("Copied.");
              }),
            );
            await loadKeys();
          } catch (err) {
            app.notify(problemText(err), "error");
          }
        },
      },
      field("Key name", keyName),
      field("Allow changes (write)", keyWrite),
      h("button", { type: "submit" }, "Create API key"),
    );
    const keys = section("API keys for your assistant", keyForm, keyShown, keyList);

    // -- consents ----------------------------------------------------------------
    const consentList = h("ul", { class: "list", "aria-label": "Consents" });
    const loadConsents = async () => {
      const consents = unwrap(await api.GET("/api/v1/me/consents"));
      consentList.replaceChildren(
        ...consents.items.map((c) => {
          const box = input({ type: "checkbox", name: `consent-${c.purpose}`, checked: c.granted });
          box.addEventListener("change", async () => {
            box.disabled = true;
            try {
              unwrap(await api.PUT("/api/v1/me/consents/{purpose}", { params: { path: { purpose: c.purpose } }, body: { granted: box.checked } }));
              app.notify(`${PURPOSES[c.purpose] ?? c.purpose}: ${box.checked ? "allowed" : "withdrawn"}.`);
            } catch (err) {
              box.checked = !box.checked;
              app.notify(problemText(err), "error");
            } finally {
              box.disabled = false;
            }
          });
          return h("li", {}, field(PURPOSES[c.purpose] ?? c.purpose, box));
        }),
      );
    };
    const consents = section("Consents", consentList);

    // -- export and deletion ---------------------------------------------------------
    const confirmEmail = input({ type: "email", name: "confirm-email", autocomplete: "off" });
    const confirmBox = h(
      "form",
      {
        id: "delete-confirm",
        class: "stack",
        hidden: true,
        onsubmit: async (e: Event) => {
          e.preventDefault();
          if (confirmEmail.value.trim().toLowerCase() !== app.user.email.toLowerCase()) {
            app.notify("The address did not match; nothing was deleted.", "error");
            return;
          }
          try {
            stopListener();
            const { error, response } = await api.DELETE("/api/v1/me");
            if (!response.ok) throw LifeosApiError.from(error, response);
            await storage.clear(namespaceFor(app.user));
            forgetSession();
            location.reload();
          } catch (err) {
            app.notify(problemText(err), "error");
          }
        },
      },
      h("p", {}, "This erases your account and every piece of data lifeos holds about you. It cannot be undone."),
      field(`Type your e-mail address (${app.user.email}) to confirm`, confirmEmail),
      h("div", { class: "row" },
        h("button", { type: "submit", class: "danger" }, "Delete my account forever"),
        button("Cancel", async () => {
          confirmBox.hidden = true;
          confirmEmail.value = "";
        }),
      ),
    );
    const data = section(
      "Your data",
      h("p", {}, "Download everything lifeos holds about you as JSON, or erase your account."),
      h("div", { class: "row" },
        button("Download my data", async () => {
          const exported = unwrap(await api.GET("/api/v1/me/export"));
          const blob = new Blob([JSON.stringify(exported, null, 2)], { type: "application/json" });
          const url = URL.createObjectURL(blob);
          const link = h("a", { href: url, download: `lifeos-export-${new Date().toISOString().slice(0, 10)}.json` });
          document.body.append(link);
          link.click();
          link.remove();
          setTimeout(() => URL.revokeObjectURL(url), 10_000);
          app.notify("Your export is downloading.");
        }),
        button("Delete my account…", async () => {
          confirmBox.hidden = false;
          confirmEmail.focus();
        }, { class: "danger", "aria-controls": "delete-confirm" }),
      ),
    );

    data.append(confirmBox);
    root.replaceChildren(profile, keys, consents, data);
    if (!navigator.onLine) {
      app.notify("You are offline: account settings need the network.");
      return;
    }
    await Promise.all([loadKeys(), loadConsents()]);
    rememberUser(app.user);
  },
};
