// Encodes embeddings the way OpenAI's `encoding_format: 'base64'` does, for adapters whose upstream returns floats.

/**
 * Base64 of the vector as little-endian float32, which is what openai-node (which asks for base64 by
 * default) decodes. A DataView pins the byte order instead of trusting the host's.
 */
export function encodeEmbeddingBase64(v: number[]): string {
  const view = new DataView(new ArrayBuffer(v.length * 4));
  v.forEach((x, i) => view.setFloat32(i * 4, x, true));
  return Buffer.from(view.buffer).toString('base64');
}
