using Microsoft.Extensions.Logging;

namespace Transfer.Pipelines;

/// <summary>Source-generated log messages of the pipeline (category <c>Transfer.Pipelines.TransferPipeline</c>; the head choice under <see cref="HeadsCategory"/>).</summary>
internal static partial class PipelineLog
{
    /// <summary>The category of the head choice: the automatic head trainer's type name.</summary>
    public const string HeadsCategory = "Transfer.Heads.AutoHeadTrainer";

    /// <summary>The category of the quantizer's summary and accuracy-guard warnings.</summary>
    public const string QuantizationCategory = "Transfer.Backbones.Quantization.BackboneQuantizer";

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Pipeline run: {Images} images in {Classes} classes, backbone {Backbone}, head {Head}, accuracy estimate: {Estimate}.")]
    public static partial void RunStarted(ILogger logger, int images, int classes, string backbone, string head, string estimate);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Stage {Stage} started.")]
    public static partial void StageStarted(ILogger logger, string stage);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Stage {Stage} finished in {Seconds:F2} s.")]
    public static partial void StageFinished(ILogger logger, string stage, double seconds);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "Stage {Stage} stopped after {Seconds:F2} s without finishing (failed or cancelled).")]
    public static partial void StageStopped(ILogger logger, string stage, double seconds);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "Head chosen: {Chosen} (cross-validated log-loss {LogLoss:F4}, micro accuracy {MicroAccuracy:P1}) among {Candidates} candidates over {Folds} folds.")]
    public static partial void HeadSelected(ILogger logger, string chosen, double? logLoss, double? microAccuracy, int candidates, int folds);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Information, Message = "Pipeline run finished in {Seconds:F2} s: head {Head}, {Accuracy}.")]
    public static partial void RunFinished(ILogger logger, double seconds, string head, string accuracy);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Warning, Message = "{Count} image(s) could not be used and were skipped (first: {First}: {Reason}).")]
    public static partial void ImagesSkipped(ILogger logger, int count, string first, string reason);
}
