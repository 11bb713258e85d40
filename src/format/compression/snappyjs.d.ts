// Types for the parts of snappyjs (which ships none) that snappy.ts uses.
declare module 'snappyjs' {
  const snappyjs: {
    /** A raw snappy block (length preamble + elements); a Uint8Array in gives a Uint8Array out. */
    compress(input: Uint8Array): Uint8Array;
  };
  export = snappyjs;
}
