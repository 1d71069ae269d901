// EXPECT: no (probes|programs)
BPF_HASH(unused_counts, u32, u64);
static inline u64 twice(u64 x) { return x * 2; }
