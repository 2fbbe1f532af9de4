import { CliUsageError } from "./command";

/** Dummy credentials for local endpoints, which accept any signature. */
const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" } as const;

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** What the `--endpoint` and `--region` options say. */
export interface AwsTarget {
  /** An endpoint override, e.g. the local pipeline or moto_server. @default - the SDK's own resolution */
  readonly endpoint?: string;
  /** @default - the SDK's own resolution (AWS_REGION, profile) */
  readonly region?: string;
}

/** The part of an AWS SDK v3 client configuration the CLI sets. */
export interface AwsClientConfig {
  readonly endpoint?: string;
  readonly region?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * Client settings from the command line. Without `--endpoint`, the SDK resolves the endpoint
 * itself (so `AWS_ENDPOINT_URL_<SERVICE>` and `AWS_ENDPOINT_URL` still apply). With an endpoint on
 * this machine and no credentials in the environment or a profile, dummy credentials are used:
 * local emulators ignore signatures, and the SDK would otherwise refuse to sign.
 *
 * @throws CliUsageError when `--endpoint` is not an http(s) URL
 */
export function awsClientConfig(target: AwsTarget, env: NodeJS.ProcessEnv): AwsClientConfig {
  const config: { endpoint?: string; region?: string; credentials?: AwsClientConfig["credentials"] } = {};
  if (target.region !== undefined) config.region = target.region;
  if (target.endpoint !== undefined) {
    const url = parseEndpoint(target.endpoint);
    config.endpoint = target.endpoint;
    const hasCredentials = env.AWS_ACCESS_KEY_ID !== undefined || env.AWS_PROFILE !== undefined;
    if (LOOPBACK_HOSTS.has(url.hostname) && !hasCredentials) config.credentials = LOCAL_CREDENTIALS;
  }
  return config;
}

/**
 * Fails early, with the fix, when no region can be found: the SDK would otherwise fail each call.
 *
 * @throws CliUsageError naming `--region` and `AWS_REGION`
 */
export async function requireRegion(client: { config: { region: () => Promise<string> } }): Promise<string> {
  try {
    return await client.config.region();
  } catch (error) {
    throw new CliUsageError(
      "No AWS region is configured. Pass --region (e.g. --region us-east-1) or set AWS_REGION.",
      { cause: error },
    );
  }
}

function parseEndpoint(endpoint: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new CliUsageError(
      `--endpoint "${endpoint}" is not an http(s) URL; expected e.g. --endpoint http://127.0.0.1:4010.`,
    );
  }
  return url;
}
