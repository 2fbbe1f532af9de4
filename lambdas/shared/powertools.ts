import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { Tracer } from "@aws-lambda-powertools/tracer";
import { requireEnv } from "./env";

/**
 * The subscription name. It is the `service` of every log line, metric and trace, and the prefix of
 * this consumer's idempotency keys in the shared table, so it must be set: Powertools would otherwise
 * fall back to `service_undefined` and two consumers would share keys.
 */
export const serviceName = requireEnv("POWERTOOLS_SERVICE_NAME");

/** The one Logger of the function; its level comes from `POWERTOOLS_LOG_LEVEL`. */
export const logger = new Logger({ serviceName });

/** The one Metrics buffer of the function, flushed at the end of every invocation by the consumer kit. */
export const metrics = new Metrics({
  serviceName,
  namespace: requireEnv("POWERTOOLS_METRICS_NAMESPACE"),
});

/** The one Tracer of the function; it switches itself off outside Lambda (tests, local runs). */
export const tracer = new Tracer({ serviceName });

/**
 * Runs `work` in its own X-Ray subsegment carrying `annotations` (searchable in the X-Ray console),
 * recording an error as subsegment metadata. Without tracing it just runs `work`.
 */
export async function traced<T>(
  name: string,
  annotations: Readonly<Record<string, string>>,
  work: () => Promise<T>,
): Promise<T> {
  if (!tracer.isTracingEnabled()) {
    return work();
  }
  // The X-Ray provider types its callback's result as `unknown`; it returns what the callback returns.
  return tracer.provider.captureAsyncFunc(name, async (subsegment) => {
    for (const [key, value] of Object.entries(annotations)) {
      tracer.putAnnotation(key, value);
    }
    try {
      return await work();
    } catch (error) {
      tracer.addErrorAsMetadata(error instanceof Error ? error : new Error(String(error)));
      throw error;
    } finally {
      subsegment?.close();
    }
  }) as Promise<T>;
}
