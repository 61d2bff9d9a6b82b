using Microsoft.Extensions.Logging;

namespace Transfer.Caching;

/// <summary>Source-generated log messages of the bottleneck cache.</summary>
internal static partial class CacheLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Bottleneck cache segment {Path} is corrupt ({Reason}); moved to {QuarantinePath}. Its {Count} vectors are ignored and will be recomputed.")]
    public static partial void SegmentCorrupt(ILogger logger, string path, string reason, string? quarantinePath, int count);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Debug, Message = "Committed {Count} vectors to bottleneck cache segment {Path}.")]
    public static partial void SegmentCommitted(ILogger logger, int count, string path);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Bottleneck store {Fingerprint}: {Vectors} vectors in {Segments} segments under {Directory}.")]
    public static partial void StoreOpened(ILogger logger, string fingerprint, long vectors, int segments, string directory);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Debug, Message = "Deleted stale temporary file {Path} of a writer that is gone.")]
    public static partial void TempFileDeleted(ILogger logger, string path);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Closing the bottleneck cache after a failed write: {Count} buffered vectors for {Directory} were not written and will be recomputed next time.")]
    public static partial void PendingDropped(ILogger logger, int count, string directory);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Ignoring bottleneck cache segment {Path}: it holds fingerprint \"{Actual}\", not \"{Expected}\".")]
    public static partial void ForeignSegment(ILogger logger, string path, string actual, string expected);
}
