// Types of bench/peers/install.mjs (plain Node: it runs before the root `npm ci`).
export declare const PEERS_DIR: string;
export declare const CKJS_PACKAGE: string;
/** node_modules/@confluentinc/kafka-javascript inside bench/peers. */
export declare const PKG_DIR: string;
/** The exact version bench/peers/package.json pins (throws when it is not an exact version). */
export declare function pinnedVersion(): string;
/** Why the installed copy cannot be used as it is (undefined: it can). */
export declare function staleReason(wanted: string): string | undefined;
/** Installs the pinned version unless the installed copy is fresh; rejects with npm's error lines. */
export declare function install(log: (m: string) => void): Promise<{ version: string; installed: boolean; seconds: number }>;
