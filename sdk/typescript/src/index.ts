/**
 * @lifeos/sdk — a typed client for the lifeos HTTP API.
 *
 * `api` is an openapi-fetch client typed by `paths` (generated into ./schema.d.ts by
 * `npm run generate` from openapi/openapi.json). On top of it this module adds:
 *  - authentication: a bearer access token (people) or an `X-API-Key` (scripts);
 *  - transparent refresh: a 401 answer to a request that carried a bearer token triggers
 *    ONE refresh (shared by all concurrent 401s) and one retry of the original request;
 *  - helpers for the session endpoints (register, login, refresh, logout) that throw
 *    `LifeosApiError` carrying the application/problem+json body on non-2xx answers;
 *  - named aliases of every schema (./types.ts) and upload helpers for the non-JSON
 *    bodies (./uploads.ts).
 *
 * Only the endpoint paths below are relied upon; no schema component names are.
 */
import createClient, { type Client, type Middleware } from "openapi-fetch";
import type { paths } from "./schema.js";

export type { paths, components, operations } from "./schema.js";

// A named alias for every component schema (`DayType`, `Hike`, `HikePage`, ...), generated
// into ./types.ts by `npm run generate`. Every alias is also reachable as `Schemas.<Name>`;
// where a name is taken by this module or the offline client (`Problem`, `Session`, `User`,
// `Change`, `Mutation`, ...), the bare name is theirs and the schema's is `Schemas.<Name>`.
export type * from "./types.js";
export type * as Schemas from "./types.js";

// ---------------------------------------------------------------------------
// Type helpers (derived from `paths`, independent of component names)
// ---------------------------------------------------------------------------

type HttpMethod = "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace";

/** The JSON request body of `paths[P][M]`. */
export type RequestBodyOf<P extends keyof paths, M extends HttpMethod & keyof paths[P]> =
  paths[P][M] extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;

/** The JSON body of the `S` response of `paths[P][M]`. */
export type ResponseOf<
  P extends keyof paths,
  M extends HttpMethod & keyof paths[P],
  S extends number,
> = paths[P][M] extends { responses: { [K in S]: { content: { "application/json": infer R } } } } ? R : never;

export type RegisterInput = RequestBodyOf<"/api/v1/auth/register", "post">;
/** `{ user, accessToken, refreshToken, expiresIn }` as returned by login and refresh. */
export type Session = ResponseOf<"/api/v1/auth/login", "post", 200>;
export type User = ResponseOf<"/api/v1/me", "get", 200>;

/** The pair of credentials a person's session is made of. */
export interface Tokens {
  accessToken: string;
  refreshToken: string;
}

/** An RFC 9457 problem as the lifeos API answers it (application/problem+json). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string | null;
  /** Stable snake_case code, e.g. `invalid_credentials`, `insufficient_scope`. */
  code: string;
  requestId?: string | null;
  errors?: Array<{ field: string; message: string }> | null;
  [extra: string]: unknown;
}

/** Thrown by the helpers (and by `unwrap`) when the API answers with a non-2xx status. */
export class LifeosApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  readonly response: Response | undefined;

  constructor(problem: Problem, response?: Response) {
    super(`${problem.status} ${problem.code}: ${problem.detail ?? problem.title}`);
    this.name = "LifeosApiError";
    this.status = problem.status;
    this.problem = problem;
    this.response = response;
  }

  get type(): string {
    return this.problem.type;
  }
  get title(): string {
    return this.problem.title;
  }
  get detail(): string | null | undefined {
    return this.problem.detail;
  }
  get code(): string {
    return this.problem.code;
  }
  get requestId(): string | null | undefined {
    return this.problem.requestId;
  }
  get errors(): Array<{ field: string; message: string }> | null | undefined {
    return this.problem.errors;
  }

  /** Builds the error from an openapi-fetch `{ error, response }` pair. */
  static from(error: unknown, response: Response): LifeosApiError {
    return new LifeosApiError(toProblem(error, response), response);
  }
}

function toProblem(body: unknown, response: Response): Problem {
  if (body && typeof body === "object" && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    return {
      ...b,
      type: typeof b.type === "string" ? b.type : "about:blank",
      title: typeof b.title === "string" ? b.title : response.statusText || `HTTP ${response.status}`,
      status: typeof b.status === "number" ? b.status : response.status,
      code: typeof b.code === "string" ? b.code : `http_${response.status}`,
      detail: typeof b.detail === "string" ? b.detail : null,
      requestId:
        typeof b.requestId === "string" ? b.requestId : response.headers.get("x-request-id"),
    };
  }
  return {
    type: "about:blank",
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    code: `http_${response.status}`,
    detail: typeof body === "string" && body.length > 0 ? body : null,
    requestId: response.headers.get("x-request-id"),
  };
}

/**
 * Turns an openapi-fetch result into its data, throwing `LifeosApiError` on a non-2xx
 * answer: `const me = unwrap(await client.api.GET("/api/v1/me"));`
 */
export function unwrap<D>(result: { data?: D; error?: unknown; response: Response }): D {
  if (!result.response.ok) {
    throw LifeosApiError.from(result.error, result.response);
  }
  return result.data as D;
}

// ---------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------

export interface LifeosClientOptions {
  /** Origin of the server, e.g. `http://127.0.0.1:8080` (paths already start with /api/v1). */
  baseUrl: string;
  /** A session to start with (e.g. restored from storage). */
  tokens?: Tokens | null;
  /** Called whenever the held tokens change: after login/register/refresh, and with `null` when cleared. */
  onTokens?: (tokens: Tokens | null) => void;
  /** A fetch implementation (defaults to `globalThis.fetch`). */
  fetch?: typeof globalThis.fetch;
  /** Authenticate with `X-API-Key` instead of bearer tokens (no refresh is ever attempted). */
  apiKey?: string;
}

/** Auth endpoints that must not carry the bearer token (they authenticate by their body). */
const UNAUTHENTICATED = new Set<string>([
  "/api/v1/auth/register",
  "/api/v1/auth/login",
  "/api/v1/auth/refresh",
  "/api/v1/auth/verify-email",
  "/api/v1/auth/magic-link",
  "/api/v1/auth/magic-link/consume",
]);

/**
 * Requests that are not retried after an automatic refresh: logout (its body holds a
 * token) and the Apple Health upload (a copy of a streamed body would buffer all of it;
 * `importAppleHealth` handles the 401 itself).
 */
const NO_RETRY = new Set<string>(["/api/v1/auth/logout", "/api/v1/integrations/apple-health/import"]);

export interface LifeosClient {
  /** The typed openapi-fetch client, with the auth middleware installed. */
  readonly api: Client<paths>;
  /** The auth middleware installed on `api` (exported for inspection or `api.eject`). */
  readonly authMiddleware: Middleware;
  /** POST /api/v1/auth/register (201): creates an account and holds its session. */
  register(input: RegisterInput): Promise<Session>;
  /** POST /api/v1/auth/login (200): holds the returned session. */
  login(email: string, password: string): Promise<Session>;
  /**
   * POST /api/v1/auth/refresh (200): rotates the held refresh token. Concurrent calls (and
   * the middleware's automatic refreshes) share one request. On failure the tokens are
   * cleared and a `LifeosApiError` is thrown.
   */
  refresh(): Promise<Session>;
  /** POST /api/v1/auth/logout (204) with the held refresh token, then clears the tokens. */
  logout(): Promise<void>;
  /** The tokens held now, or null. */
  tokens(): Tokens | null;
  /** Replaces the held tokens (calls `onTokens`). */
  setTokens(tokens: Tokens | null): void;
}

export function createLifeosClient(options: LifeosClientOptions): LifeosClient {
  const fetchImpl: typeof globalThis.fetch =
    options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const apiKey = options.apiKey;
  let current: Tokens | null = options.tokens ? { ...options.tokens } : null;
  let inflight: Promise<Session> | null = null;

  const setTokens = (tokens: Tokens | null): void => {
    current = tokens ? { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken } : null;
    options.onTokens?.(current ? { ...current } : null);
  };

  const holdSession = (session: Session): Session => {
    setTokens({ accessToken: session.accessToken, refreshToken: session.refreshToken });
    return session;
  };

  // A client without the middleware, for the calls that authenticate by their body.
  const bare = createClient<paths>({ baseUrl: options.baseUrl, fetch: fetchImpl });
  const api = createClient<paths>({ baseUrl: options.baseUrl, fetch: fetchImpl });

  const doRefresh = async (): Promise<Session> => {
    const sent = current?.refreshToken;
    if (!sent) {
      throw new LifeosApiError({
        type: "about:blank",
        title: "Unauthorized",
        status: 401,
        code: "no_refresh_token",
        detail: "the client holds no refresh token",
      });
    }
    const { data, error, response } = await bare.POST("/api/v1/auth/refresh", {
      body: { refreshToken: sent },
    });
    if (!response.ok || !data) {
      // Clear only if nobody replaced the tokens meanwhile (e.g. a concurrent login).
      if (current?.refreshToken === sent) setTokens(null);
      throw LifeosApiError.from(error, response);
    }
    return holdSession(data);
  };

  const refresh = (): Promise<Session> => {
    if (!inflight) {
      inflight = doRefresh().finally(() => {
        inflight = null;
      });
    }
    return inflight;
  };

  /** Per-request state for the retry: the bearer sent and an unread copy of the request. */
  const pending = new Map<string, { accessToken: string; retry: Request }>();

  const authMiddleware: Middleware = {
    onRequest({ request, schemaPath, id }) {
      if (apiKey !== undefined) {
        request.headers.set("X-API-Key", apiKey);
        return request;
      }
      if (!current || UNAUTHENTICATED.has(schemaPath) || request.headers.has("Authorization")) {
        return undefined;
      }
      const accessToken = current.accessToken;
      request.headers.set("Authorization", `Bearer ${accessToken}`);
      if (!NO_RETRY.has(schemaPath)) {
        // The body of `request` is consumed by fetch; keep a copy in case we must retry.
        pending.set(id, { accessToken, retry: request.clone() });
      }
      return request;
    },

    async onResponse({ response, id, options: fetchOptions }) {
      const entry = pending.get(id);
      pending.delete(id);
      if (!entry || response.status !== 401) return undefined;

      let accessToken: string | undefined;
      if (current && current.accessToken !== entry.accessToken) {
        // Someone refreshed (or logged in) while this request was in flight.
        accessToken = current.accessToken;
      } else {
        try {
          accessToken = (await refresh()).accessToken;
        } catch {
          return undefined; // the original 401 (tokens were cleared if the refresh was refused)
        }
      }
      entry.retry.headers.set("Authorization", `Bearer ${accessToken}`);
      const retried = await fetchOptions.fetch(entry.retry);
      await response.body?.cancel().catch(() => undefined);
      return retried;
    },

    onError({ id }) {
      pending.delete(id);
      return undefined;
    },
  };
  api.use(authMiddleware);

  return {
    api,
    authMiddleware,

    async register(input) {
      const { data, error, response } = await bare.POST("/api/v1/auth/register", { body: input });
      if (!response.ok || !data) throw LifeosApiError.from(error, response);
      return holdSession(data);
    },

    async login(email, password) {
      const { data, error, response } = await bare.POST("/api/v1/auth/login", {
        body: { email, password },
      });
      if (!response.ok || !data) throw LifeosApiError.from(error, response);
      return holdSession(data);
    },

    refresh,

    async logout() {
      const held = current;
      if (!held) return;
      try {
        let { error, response } = await api.POST("/api/v1/auth/logout", {
          body: { refreshToken: held.refreshToken },
        });
        if (response.status === 401) {
          // The access token may have expired: refresh once, then log the new session out.
          let session: Session;
          try {
            session = await refresh();
          } catch {
            return; // the session is already unusable; the tokens are cleared below
          }
          ({ error, response } = await api.POST("/api/v1/auth/logout", {
            body: { refreshToken: session.refreshToken },
          }));
        }
        if (!response.ok && response.status !== 401) throw LifeosApiError.from(error, response);
      } finally {
        setTokens(null);
      }
    },

    tokens() {
      return current ? { ...current } : null;
    },

    setTokens,
  };
}

export default createLifeosClient;

// Uploads of non-JSON bodies: `importGpx`, `importAppleHealth`.
export * from "./uploads.js";

// The offline client (a persisted queue, push/pull with retry, a local replica). Its wire
// types are named like schemas of the sync API; the bare names are the offline client's.
export * from "./offline.js";
export type {
  Change,
  Mutation,
  MutationResult,
  MutationStatus,
  Op,
  PullRequest,
  PullResponse,
  PushRequest,
  PushResponse,
} from "./offline.js";
