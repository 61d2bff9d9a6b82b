using Transfer.Images;

namespace Transfer.Caching;

/// <summary>A segment's footer and, after <see cref="SegmentFile.ReadKeys"/>, its keys.</summary>
internal sealed record SegmentHeader(string Fingerprint, int Dimension, VectorStorage Storage, int Count, string KeysSha256, ContentHash[] Keys);
