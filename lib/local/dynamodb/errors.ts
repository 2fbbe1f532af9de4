/** The local DynamoDB's files under the state directory cannot be read or written. */
export class LocalDynamoDbStateError extends Error {
  public override readonly name = "LocalDynamoDbStateError";

  constructor(
    message: string,
    /** The file or folder concerned. */
    public readonly path: string,
    options?: ErrorOptions,
  ) {
    super(`${message} (${path})`, options);
  }
}

/**
 * A table of the template cannot be served: creating it failed, it never became ACTIVE, or the
 * table kept in the state directory has another key than the template declares.
 */
export class LocalDynamoDbTableError extends Error {
  public override readonly name = "LocalDynamoDbTableError";

  constructor(
    message: string,
    /** The table concerned. */
    public readonly tableName: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
