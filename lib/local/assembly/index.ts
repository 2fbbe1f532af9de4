/**
 * Reads a synthesized cloud assembly (`cdk.out`) into the model the local pipeline runs: what runs
 * locally is what deploys (docs/architecture.md, "From the template to the local pipeline").
 */

export type { LocalEnvironment } from "./arns";
export {
  CloudAssemblyError,
  FunctionAssetError,
  InvalidOptionError,
  LocalModelError,
  type TemplateProblem,
  TemplateResolutionError,
  UnsupportedFeatureError,
} from "./errors";
export {
  DEFAULT_LOCAL_ACCOUNT_ID,
  DEFAULT_LOCAL_ENDPOINT,
  DEFAULT_LOCAL_REGION,
  type LoadLocalModelOptions,
  type LocalAssemblyReading,
  loadLocalModel,
  readLocalAssembly,
} from "./read-local-assembly";
export type { AssemblyWarning, IgnoredResource } from "./reading-report";
export { formatTemplatePath, type TemplatePath } from "./template-types";
