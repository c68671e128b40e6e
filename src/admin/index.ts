export { TopicManager, TopicError, adminFactoryOf } from './topic-manager.js';
export type { AdminHost, TopicSpec, EnsureResult, EnsureDefaults, TopicDescription } from './topic-manager.js';
export { GroupAdmin, GROUP_STATES, checkResetTarget } from './group-admin.js';
export type { GroupState, GroupListing, GroupMember, GroupDescription, GroupOffset, ResetTarget, ResetPlanItem, ResetResult, DeleteGroupsResult } from './group-admin.js';
export { GroupNotEmptyError } from './admin-client.js';
export type { AdminCallOptions, DryRunOptions, AdminClientFactory } from './admin-client.js';
export type { TopicConfigEntry, TopicConfigChanges, ConfigChange, AlterConfigsResult, DeleteTopicsResult, CreatePartitionsResult, PartitionOffsets, TimestampOffset } from './topic-admin.js';
