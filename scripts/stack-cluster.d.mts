// Types of scripts/stack-cluster.mjs (the isolated three-broker cluster of the fault tests).

export interface ClusterNode {
  readonly id: number;
  readonly pid: number;
  readonly port: number;
}

export interface PartitionMetadata {
  readonly partition: number;
  /** Node id of the leader, -1 when the partition has none. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly offline: readonly number[];
  readonly errorCode: number;
}

export interface TopicMetadata {
  readonly topic: string;
  readonly errorCode: number;
  readonly partitions: readonly PartitionMetadata[];
  /** Registered, unfenced brokers. */
  readonly brokers: readonly number[];
  readonly controllerId: number;
  /** The node that answered. */
  readonly from: number;
}

export interface NodeStatus {
  readonly id: number;
  readonly pid: number | undefined;
  readonly alive: boolean;
  /** Frozen by SIGSTOP. */
  readonly stopped: boolean;
  readonly port: number;
  readonly controllerPort: number;
  readonly seenBrokers: readonly number[] | null;
  readonly log: string;
}

export type BrokerSignal = 'SIGKILL' | 'SIGTERM' | 'SIGSTOP' | 'SIGCONT' | 'SIGINT';

export const FAULTS_DIR: string;
export const FAULTS_LOG_DIR: string;
export const NODE_IDS: readonly number[];
/** `127.0.0.1:19092,127.0.0.1:19093,127.0.0.1:19094` (by default). */
export const CLUSTER_BOOTSTRAP: string;
export function clusterClientPort(id: number): number;
export function clusterControllerPort(id: number): number;
export function nodeLogFile(id: number): string;
export function clusterServerProperties(id: number): Record<string, string | number | boolean>;
export function setQuiet(quiet: boolean): void;

export function startCluster(options?: { timeoutMs?: number }): Promise<{ bootstrapServers: string; clusterId: string; seconds: number; nodes: ClusterNode[] }>;
export function stopCluster(options?: { graceful?: boolean; keepData?: boolean }): Promise<{ stopped: number[]; inUseBy?: number }>;
export function clusterStatus(): Promise<{ running: boolean; healthy: boolean; bootstrapServers: string; nodes: NodeStatus[] }>;
export function brokerPid(id: number): number | undefined;
export function killBroker(id: number, signal?: BrokerSignal): Promise<{ id: number; pid: number; signal: BrokerSignal }>;
export function startBroker(id: number, options?: { timeoutMs?: number }): Promise<{ id: number; pid: number; alreadyRunning: boolean; seconds: number }>;
export function topicMetadata(topic: string, options?: { timeoutMs?: number }): Promise<TopicMetadata>;
export function leaderOf(topic: string, partition?: number): Promise<number>;
export function waitForIsr(topic: string, options?: { isr?: number; timeoutMs?: number }): Promise<{ ok: true; views: string[] }>;
export function coordinatorOf(group: string): Promise<number>;
