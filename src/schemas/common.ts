import { Type, type SchemaOptions, type TUnsafe } from '@sinclair/typebox';

/**
 * A string enum as JSON Schema `enum` (not TypeBox's union of consts): validators then report
 * 'must be one of "a", "b"' once, instead of one error per alternative.
 */
export function StringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] });
}
