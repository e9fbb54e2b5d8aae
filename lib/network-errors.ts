/**
 * Network errors in words a player or a server's owner understands, instead of
 * a stack trace. Every script words them here, so one failure reads the same
 * in every step.
 */

/**
 * Why a server cannot listen, naming the option that fixes it; undefined when
 * the error is not one that stops a server from listening.
 */
export function listenProblem(error: NodeJS.ErrnoException, port: number): string | undefined {
  switch (error.code) {
    case "EADDRINUSE":
      return `port ${port} is already in use: stop what uses it or choose another with --port`;
    case "EACCES":
      return `port ${port} needs more privileges: choose one above 1023 with --port`;
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
      return "this machine has no such address: check --host";
    default:
      return undefined;
  }
}

/**
 * Why a client cannot reach its server, or lost it; `connected` says whether it
 * had joined. A client's own errors (a refusal, a silent server) say it already.
 */
export function connectionProblem(
  error: unknown,
  server: { host: string; port: number },
  connected: boolean,
): string {
  if (!(error instanceof Error)) return String(error);
  const where = `${server.host}:${server.port}`;
  switch ((error as NodeJS.ErrnoException).code) {
    case "ECONNREFUSED":
      return connected
        ? `the server at ${where} has gone away`
        : `nothing is listening on ${where}: is the server running?`;
    case "ECONNRESET":
    case "EPIPE":
      return `the server at ${where} closed the connection`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `cannot find the host ${server.host}: check --host`;
    default:
      return error.message;
  }
}
