/**
 * A failure whose details are for the log only (a worker's or a database's message, which
 * may hold queries, paths or source lines): the client gets `status`, `publicMessage` and
 * the request id, the log gets `details` under that id (HttpErrorFilter).
 */
export class InternalFailure extends Error {
  constructor(
    readonly status: number,
    readonly publicMessage: string,
    readonly details: string,
  ) {
    super(publicMessage);
  }
}
