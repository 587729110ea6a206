/**
 * A request the gateway will not pass on. The docker CLI prints the message as
 * "Error response from daemon: <message>", so it says what is not allowed and what to do.
 */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const forbidden = (message: string) => new Refusal(403, message);
export const badRequest = (message: string) => new Refusal(400, message);
export const notFound = (message: string) => new Refusal(404, message);
export const conflict = (message: string) => new Refusal(409, message);
