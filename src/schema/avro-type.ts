/** avsc's Type with the introspection fields the schema-driven readers and writers use (not in avsc's typings). */
import type avro from 'avsc';

export type AnyType = avro.Type & {
  readonly typeName: string;
  readonly name?: string;
  readonly fields?: ReadonlyArray<{ readonly name: string; readonly type: avro.Type; defaultValue(): unknown }>;
  readonly types?: readonly avro.Type[];
  readonly valuesType?: avro.Type;
  readonly itemsType?: avro.Type;
  readonly symbols?: readonly string[];
};

/** The avsc type name ('record', 'string', 'logical:timestamp-millis', 'union:unwrapped', ...). */
export const typeNameOf = (t: avro.Type): string => (t as AnyType).typeName;
