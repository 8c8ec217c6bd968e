import type * as AwsS3 from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { frame, unframe } from './checkpoint-frame';
import { keyDirectoryName } from './local-directory';
import { assertValidVersion, type ModelKey, type ModelStore, type S3StoreSpec, type SaveOptions, type StoredModel } from './model-store';
import { doomedVersions, keepVersionsOf } from './retention';

const VERSION_DIGITS = 16;
const VERSION_OBJECT = /\/(\d{16})\.model$/;

/**
 * The AWS SDK's S3 client package, loaded on first use: it is big, and every command loads this
 * module (through the model store's index). A plain `require` of a package works wherever this
 * code runs: the CLI, a scoring thread (which has only tsx's CommonJS hook), the tests.
 */
export function s3Sdk(): typeof AwsS3 {
  return require('@aws-sdk/client-s3') as typeof AwsS3;
}

/** The S3 client of a spec: the SDK's own resolution of the AWS variables, plus what the spec adds. */
export function s3ClientOf(client: S3StoreSpec['client']): S3Client {
  return new (s3Sdk().S3Client)({
    ...(client.endpoint === undefined ? {} : { endpoint: client.endpoint }),
    ...(client.region === undefined ? {} : { region: client.region }),
    ...(client.credentials === undefined ? {} : { credentials: client.credentials }),
    forcePathStyle: client.forcePathStyle,
    ...(client.checksumsWhenRequired ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
  });
}

/**
 * Checkpoints as objects of an S3 bucket (AWS, or any S3-compatible server):
 * `<prefix>/<key>/<version>.model`, the key named as the local folder names it (hex of the
 * device id and field).
 *
 * - A PUT is atomic: an object is there whole or not at all, and a second PUT of the same
 *   name replaces it; S3 reads after writes are strongly consistent. The frame's SHA-256
 *   (checkpoint-frame.ts) catches anything a server or proxy changed.
 * - Retention after each save: the newest `keepVersions` plus `options.keepVersion`. Objects
 *   are deleted one by one: DeleteObjects needs a checksum header that S3-compatible servers
 *   such as S3Proxy refuse, and a key holds few versions.
 * - Folder placeholders and anything else under the prefix that is not a version are ignored.
 */
export class S3ModelStore implements ModelStore {
  private readonly s3: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly keepVersions: number;

  constructor(spec: Omit<S3StoreSpec, 'kind'>) {
    this.s3 = s3ClientOf(spec.client);
    this.bucket = spec.bucket;
    this.prefix = spec.prefix;
    this.keepVersions = keepVersionsOf(spec.keepVersions);
  }

  async load(key: ModelKey, version?: number): Promise<StoredModel | undefined> {
    if (version !== undefined) {
      assertValidVersion(version);
      const bytes = await this.read(key, version);
      return bytes === undefined ? undefined : { version, bytes };
    }
    // Newest first; a version pruned by a concurrent save between listing and reading is skipped.
    for (const candidate of (await this.versions(key)).reverse()) {
      const bytes = await this.read(key, candidate);
      if (bytes !== undefined) return { version: candidate, bytes };
    }
    return undefined;
  }

  async save(key: ModelKey, version: number, bytes: Uint8Array, options: SaveOptions = {}): Promise<void> {
    assertValidVersion(version);
    const { PutObjectCommand, DeleteObjectCommand } = s3Sdk();
    await this.named(this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.objectName(key, version), Body: frame(bytes), ContentType: 'application/octet-stream' })));
    for (const doomed of doomedVersions(await this.versions(key), this.keepVersions, options.keepVersion)) {
      await this.named(this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectName(key, doomed) })));
    }
  }

  /** The versions stored for a key, oldest first. */
  async versions(key: ModelKey): Promise<number[]> {
    const versions: number[] = [];
    let token: string | undefined;
    const { ListObjectsV2Command } = s3Sdk();
    do {
      const page = await this.named(this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.keyPrefix(key), ContinuationToken: token })));
      for (const object of page.Contents ?? []) {
        const match = VERSION_OBJECT.exec(object.Key ?? '');
        if (match?.[1] !== undefined) versions.push(Number(match[1]));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return versions.sort((a, b) => a - b);
  }

  async close(): Promise<void> {
    this.s3.destroy();
  }

  private async read(key: ModelKey, version: number): Promise<Uint8Array | undefined> {
    const name = this.objectName(key, version);
    const { GetObjectCommand, NoSuchKey } = s3Sdk();
    try {
      const object = await this.named(this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: name })));
      const contents = await object.Body!.transformToByteArray();
      return unframe(contents, key, version, `s3://${this.bucket}/${name}`);
    } catch (error) {
      if (error instanceof NoSuchKey) return undefined;
      throw error;
    }
  }

  private keyPrefix(key: ModelKey): string {
    return `${this.prefix === '' ? '' : `${this.prefix}/`}${keyDirectoryName(key)}/`;
  }

  private objectName(key: ModelKey, version: number): string {
    return `${this.keyPrefix(key)}${String(version).padStart(VERSION_DIGITS, '0')}.model`;
  }

  /** A request's answer; a missing bucket becomes one line that names it and the setting. */
  private async named<Output>(request: Promise<Output>): Promise<Output> {
    try {
      return await request;
    } catch (error) {
      if (error instanceof s3Sdk().S3ServiceException && error.name === 'NoSuchBucket') {
        throw new Error(`the model store's bucket ${JSON.stringify(this.bucket)} does not exist (VIGIL_MODEL_STORE): create it, or name another`);
      }
      throw error;
    }
  }
}
