/** What routes need besides the engine. */
export interface ServerContext {
  /** The public base URL used for `web_url` deep links, e.g. `http://127.0.0.1:8686`. */
  baseUrl(): string;
}
