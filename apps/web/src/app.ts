/**
 * The interfaces every page is written against (the contract in notes/web-contract.md).
 * `main.ts` builds the one `App` after sign-in and routes `#/<route>` to a `Page`.
 */
import type { LifeosClient, OfflineClient, User } from "@lifeos/sdk";

export interface App {
  /** The typed SDK client (openapi-fetch under `.api`), authenticated as the signed-in user. */
  client: LifeosClient;
  /** The sync replica for offline writes (IndexedDB storage), started after sign-in. */
  offline: OfflineClient;
  user: User;
  /** Shows a message in the page's aria-live status region. */
  notify(message: string, kind?: "info" | "error"): void;
  /** Re-renders the current page. */
  refresh(): void;
  navigate(route: string): void;
}

export interface Page {
  /** Route name, e.g. "plan" for #/plan. */
  route: string;
  title: string;
  render(root: HTMLElement, app: App): Promise<void>;
}
