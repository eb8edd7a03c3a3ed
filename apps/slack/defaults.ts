/** Where the bot listens for HTTP events unless told otherwise; apart from settings.ts so `triage --help`
 * can show them without loading zod. */
export const DEFAULT_PORT = 3000;
/** Loopback unless told otherwise: a reverse proxy or tunnel in front is the usual way Slack reaches it. */
export const DEFAULT_HOST = "127.0.0.1";
