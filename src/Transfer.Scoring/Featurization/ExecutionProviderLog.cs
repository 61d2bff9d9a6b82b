using Microsoft.Extensions.Logging;

namespace Transfer.Featurization;

/// <summary>Source-generated log messages about execution providers and ONNX Runtime sessions.</summary>
internal static partial class ExecutionProviderLog
{
    /// <summary>The logger category.</summary>
    public const string Category = "Transfer.ExecutionProvider";

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "{Requested} was asked for but cannot be used, so ONNX Runtime runs on the CPU. {Problem} To fail instead, use GpuFallback.Fail.")]
    public static partial void FellBackToCpu(ILogger logger, string requested, string problem);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Debug, Message = "ONNX Runtime session on {Provider} created in {Elapsed} (from a saved optimized graph: {FromSavedGraph}).")]
    public static partial void SessionCreated(ILogger logger, ExecutionProvider provider, TimeSpan elapsed, bool fromSavedGraph);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "The optimized graph \"{Path}\" could not be read or written; the session is created without it.")]
    public static partial void GraphCacheSkipped(ILogger logger, string path, Exception exception);
}
