import { WireFormatError } from './errors.js';

/**
 * Confluent wire format: byte 0 = 0 (magic), bytes 1–4 = schema id (big-endian, unsigned), then the
 * Avro binary encoding. The same framing is used by Confluent's serializers in Java, Python and Go.
 */
export const MAGIC_BYTE = 0;
/** Magic byte + 4-byte schema id. */
export const HEADER_SIZE = 5;

/** Reads the schema id of a framed payload; throws WireFormatError naming what is wrong. */
export function readSchemaId(payload: Buffer | null, where: Record<string, unknown> = {}): number {
  if (payload === null || payload.length === 0) throw new WireFormatError('empty payload: no Confluent wire-format header', where);
  if (payload[0] !== MAGIC_BYTE) {
    throw new WireFormatError(`wrong magic byte 0x${payload[0]!.toString(16).padStart(2, '0')}: expected 0x00 (Confluent wire format)`, { ...where, magic: payload[0] });
  }
  if (payload.length < HEADER_SIZE) throw new WireFormatError(`payload of ${payload.length} bytes is shorter than the 5-byte wire-format header`, where);
  return payload.readUInt32BE(1);
}
