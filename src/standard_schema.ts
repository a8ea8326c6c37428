/**
 * The Standard Schema v1 interface (standardschema.dev), declared here so
 * the core depends on no package: Zod 4, Valibot 1, ArkType 2 and many more
 * schemas implement it as they are. Only what the runtime reads is declared.
 *
 * @typeParam Input What the schema accepts.
 * @typeParam Output What a successful validation produces.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The standard's properties. */
  readonly "~standard": StandardSchemaProps<Input, Output>;
}

/** The properties behind `~standard` of a {@linkcode StandardSchemaV1}. */
export interface StandardSchemaProps<Input = unknown, Output = Input> {
  /** The version of the standard: `1`. */
  readonly version: 1;
  /** The schema library, e.g. `"zod"` or `"valibot"`. */
  readonly vendor: string;
  /** Validates a value; may return a promise (an async schema). */
  readonly validate: (
    value: unknown,
  ) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>;
  /** The inferred types, for TypeScript only. */
  readonly types?:
    | { readonly input: Input; readonly output: Output }
    | undefined;
  /**
   * Standard JSON Schema (standardschema.dev/json-schema), where the library
   * implements it: the schema described as JSON Schema.
   */
  readonly jsonSchema?: {
    readonly input: (
      options: { readonly target: string },
    ) => Record<string, unknown>;
  } | undefined;
}

/** The result of {@linkcode StandardSchemaProps.validate}. */
export type StandardSchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardSchemaIssue> };

/** One issue a schema reports. */
export interface StandardSchemaIssue {
  /** The schema library's message. */
  readonly message: string;
  /** Where, as keys or `{ key }` segments from the root. */
  readonly path?:
    | ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>
    | undefined;
}

/**
 * The output type of a schema: what a command handler receives as
 * `request.payload` when its command declares `payloadSchema`.
 *
 * @typeParam S The schema.
 */
export type InferSchemaOutput<S extends StandardSchemaV1> = NonNullable<
  S["~standard"]["types"]
>["output"];
