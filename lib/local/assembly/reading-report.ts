/** A resource of the template the local pipeline needs not emulate. */
export interface IgnoredResource {
  readonly logicalId: string;
  readonly type: string;
  /** Why nothing is lost locally, e.g. `permissions are not enforced locally`. */
  readonly reason: string;
}

/**
 * Something the local pipeline will not do as AWS would, without refusing to run: a resource type it
 * neither emulates nor knows to be harmless, a scheduled rule, a function layer. Shown to the user;
 * never thrown.
 */
export interface AssemblyWarning {
  /** The resource concerned; absent for the stack as a whole. */
  readonly logicalId?: string;
  readonly type?: string;
  readonly message: string;
}

/** Collects the warnings of one reading. */
export type WarningSink = (warning: AssemblyWarning) => void;
