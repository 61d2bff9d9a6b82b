using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Transfer.Diagnostics;

namespace Transfer.Pipelines;

/// <summary>The pipeline's spans (docs/OBSERVABILITY.md): one per run and one per stage, each stage logged at its start and end.</summary>
internal static class PipelineTelemetry
{
    /// <summary>The root span of <see cref="TransferPipeline.RunAsync"/>.</summary>
    public const string RunSpan = "transfer.pipeline.run";

    /// <summary>The root span of <see cref="TransferPipeline.FeaturizeAsync"/>.</summary>
    public const string EmbedSpan = "transfer.pipeline.embed";

    /// <summary>The root span of <see cref="TransferPipeline.EvaluateAsync"/>.</summary>
    public const string EvaluateModelSpan = "transfer.pipeline.evaluate_model";

    /// <summary>Starts a stage: its span <c>transfer.pipeline.&lt;stage&gt;</c> (a child of the run's) and an Information line.</summary>
    /// <param name="logger">The pipeline's logger.</param>
    /// <param name="stage">The stage's name: quantize, featurize, train_head, fine_tune, report.</param>
    /// <returns>The stage; call <see cref="Stage.Complete"/> when it succeeded, then dispose it.</returns>
    public static Stage Start(ILogger logger, string stage) => new(logger, stage, Instrumentation.Source.StartActivity("transfer.pipeline." + stage));

    /// <summary>Starts a root span (no stage log line).</summary>
    /// <param name="name">The span name.</param>
    /// <returns>The span, or <see langword="null"/> when nobody listens.</returns>
    public static Activity? StartRoot(string name) => Instrumentation.Source.StartActivity(name);

    /// <summary>A running stage.</summary>
    internal sealed class Stage : IDisposable
    {
        private readonly ILogger _logger;
        private readonly string _name;
        private readonly Activity? _activity;
        private readonly long _started = Stopwatch.GetTimestamp();
        private bool _complete;
        private bool _disposed;

        public Stage(ILogger logger, string name, Activity? activity)
        {
            (_logger, _name, _activity) = (logger, name, activity);
            PipelineLog.StageStarted(logger, name);
        }

        /// <summary>Sets a tag on the span (nothing without a listener).</summary>
        /// <param name="key">The tag.</param>
        /// <param name="value">Its value.</param>
        /// <returns>This stage.</returns>
        public Stage Tag(string key, object? value)
        {
            if (_activity is { IsAllDataRequested: true })
            {
                _activity.SetTag(key, value);
            }

            return this;
        }

        /// <summary>Marks the stage done: its end is logged as finished, and the span's status is Ok.</summary>
        public void Complete() => _complete = true;

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            double seconds = Stopwatch.GetElapsedTime(_started).TotalSeconds;
            if (_complete)
            {
                PipelineLog.StageFinished(_logger, _name, seconds);
                _activity?.SetStatus(ActivityStatusCode.Ok);
            }
            else
            {
                PipelineLog.StageStopped(_logger, _name, seconds);
                _activity?.SetStatus(ActivityStatusCode.Error, $"The stage {_name} did not finish (failed or cancelled).");
            }

            _activity?.Dispose();
        }
    }
}
