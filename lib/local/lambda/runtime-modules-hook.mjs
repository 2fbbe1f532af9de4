// @ts-check
/**
 * A module resolution hook for local Lambda workers: a bare `@aws-sdk/*` import that the bundle left
 * external (the Node.js Lambda runtime provides the AWS SDK) and that does not resolve from the
 * asset's own folder is resolved from the eventrail installation instead, as the runtime's copy
 * would be. Nothing else is redirected, so a dependency missing from a bundle still fails here as it
 * would in Lambda.
 */

/** @type {string | undefined} */
let runtimeParentUrl;

/** @param {{ parentUrl: string }} data */
export async function initialize(data) {
  runtimeParentUrl = data.parentUrl;
}

/**
 * @param {string} specifier
 * @param {{ parentURL?: string, conditions?: string[], importAttributes?: Record<string, string> }} context
 * @param {(specifier: string, context?: object) => Promise<unknown>} nextResolve
 */
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const code = /** @type {{ code?: unknown }} */ (error)?.code;
    if (
      runtimeParentUrl !== undefined &&
      code === "ERR_MODULE_NOT_FOUND" &&
      specifier.startsWith("@aws-sdk/")
    ) {
      return nextResolve(specifier, { ...context, parentURL: runtimeParentUrl });
    }
    throw error;
  }
}
