/** A typed array of the same kind holding at least `length` elements: `array` itself when it does, else a
 * copy grown to twice its size (or to `length`), its values kept. For columns that grow with a run. */
export function withRoom<T extends Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array>(array: T, length: number): T {
  if (length <= array.length) return array;
  const grown = new (array.constructor as new (length: number) => T)(Math.max(array.length * 2, length));
  grown.set(array);
  return grown;
}
