using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Transfer.Augmentation;
using Transfer.Diagnostics;
using Transfer.Testing;

namespace Transfer.Pipelines.Tests;

/// <summary>
/// The meter and activity source of a pipeline run, seen by a <see cref="MeterListener"/> and an <see cref="ActivityListener"/>.
/// Other tests record on the same static instruments in parallel, so only what happens under this test's own trace counts.
/// </summary>
public sealed class PipelineTelemetryTests
{
    private const int PerClass = 6;

    [Fact]
    public async Task RunAsync_TwiceOnOneCache_CountersAndStageSpansSeenByListeners()
    {
        using var folder = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = PerClass });
        using var temp = TestData.Temp();
        var images = folder.Load();
        int n = images.Count;
        var pipeline = TransferPipeline.For(images).WithBackbone(TinyBackbone.Default).Augment(AugmentationPolicy.None).CacheBottlenecks(Path.Combine(temp.Path, "cache")).Build();

        using var parent = new Activity("test").Start(); // this test's trace: every span and measurement below belongs to it
        var trace = parent.TraceId;
        using var recorder = new Recorder(trace);
        using (var cold = await pipeline.RunAsync())
        using (var warm = await pipeline.RunAsync())
        {
            Assert.Equal(n, cold.TrainFeatures.Computed);
            Assert.Equal(n, warm.TrainFeatures.CacheHits);
            using var predictor = warm.Model.CreatePredictor();
            predictor.PredictBatch(images.Entries.Take(5).ToList());
        }

        Assert.Equal(n, recorder.Sum(TransferTelemetry.ImagesFeaturized)); // the cold run computes every image, the warm one none
        Assert.Equal(n, recorder.Sum(TransferTelemetry.CacheMisses));
        Assert.Equal(n, recorder.Sum(TransferTelemetry.CacheHits));
        Assert.Equal(5, recorder.Sum(TransferTelemetry.Predictions));
        Assert.Equal(2, recorder.Count(TransferTelemetry.FeaturizationDuration));
        Assert.Single(recorder.Values(TransferTelemetry.PredictionDuration), s => s is > 0 and < 60);

        var spans = recorder.Spans.ToList();
        var runs = spans.Where(s => s.OperationName == "transfer.pipeline.run").OrderBy(s => s.StartTimeUtc).ToList();
        Assert.Equal(2, runs.Count);
        foreach (var run in runs)
        {
            Assert.Equal(parent.SpanId, run.ParentSpanId);
            Assert.Equal(ActivityStatusCode.Ok, run.Status);
            Assert.Equal(TinyBackbone.Default.Name, run.GetTagItem("transfer.backbone"));
            Assert.Equal(n, run.GetTagItem("transfer.images"));
            var stages = spans.Where(s => s.ParentSpanId == run.SpanId).Select(s => s.OperationName).Order(StringComparer.Ordinal);
            Assert.Equal(["transfer.pipeline.featurize", "transfer.pipeline.train_head"], stages);
            var featurize = spans.Single(s => s.ParentSpanId == run.SpanId && s.OperationName == "transfer.pipeline.featurize");
            var inner = Assert.Single(spans, s => s.ParentSpanId == featurize.SpanId);
            Assert.Equal("transfer.featurize", inner.OperationName);
            Assert.Equal(n, inner.GetTagItem("transfer.images"));
        }

        Assert.Equal(n, spans.Single(s => s.OperationName == "transfer.pipeline.featurize" && s.ParentSpanId == runs[0].SpanId).GetTagItem("transfer.images.computed"));
        Assert.Equal(n, spans.Single(s => s.OperationName == "transfer.pipeline.featurize" && s.ParentSpanId == runs[1].SpanId).GetTagItem("transfer.cache.hits"));
        var head = spans.First(s => s.OperationName == "transfer.pipeline.train_head");
        Assert.Equal("cv", head.GetTagItem("transfer.estimate.method"));
        Assert.NotNull(head.GetTagItem("transfer.head.chosen"));
        var predict = Assert.Single(spans, s => s.OperationName == "transfer.predict");
        Assert.Equal(5, predict.GetTagItem("transfer.images"));
    }

    [Fact]
    public async Task RunAsync_Fails_RunAndStageSpansMarkedError()
    {
        using var folder = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = PerClass });
        using var parent = new Activity("test").Start();
        using var recorder = new Recorder(parent.TraceId);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TransferPipeline.For(folder.Load()).WithBackbone(TinyBackbone.Default).WithoutBottleneckCache().Build().RunAsync(cancellationToken: cancelled.Token));

        var run = Assert.Single(recorder.Spans, s => s.OperationName == "transfer.pipeline.run");
        Assert.Equal(ActivityStatusCode.Error, run.Status);
        Assert.Equal("cancelled", run.GetTagItem("error.type"));
        Assert.All(recorder.Spans.Where(s => s.ParentSpanId == run.SpanId), s => Assert.Equal(ActivityStatusCode.Error, s.Status));
    }

    /// <summary>Records the spans and measurements of one trace.</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly ActivityListener _activities;
        private readonly MeterListener _meters;
        private readonly ConcurrentQueue<(string Name, double Value)> _measurements = new();

        public Recorder(ActivityTraceId trace)
        {
            _activities = new ActivityListener
            {
                ShouldListenTo = source => source.Name == TransferTelemetry.ActivitySourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity =>
                {
                    if (activity.TraceId == trace)
                    {
                        Spans.Enqueue(activity);
                    }
                },
            };
            ActivitySource.AddActivityListener(_activities);
            _meters = new MeterListener
            {
                InstrumentPublished = (instrument, listener) =>
                {
                    if (instrument.Meter.Name == TransferTelemetry.MeterName)
                    {
                        listener.EnableMeasurementEvents(instrument);
                    }
                },
            };
            _meters.SetMeasurementEventCallback<long>((instrument, value, _, _) => Record(trace, instrument, value));
            _meters.SetMeasurementEventCallback<double>((instrument, value, _, _) => Record(trace, instrument, value));
            _meters.Start();
        }

        public ConcurrentQueue<Activity> Spans { get; } = new();

        public long Sum(string instrument) => (long)Values(instrument).Sum();

        public int Count(string instrument) => Values(instrument).Count;

        public List<double> Values(string instrument) => _measurements.Where(m => m.Name == instrument).Select(m => m.Value).ToList();

        public void Dispose()
        {
            _meters.Dispose();
            _activities.Dispose();
        }

        private void Record(ActivityTraceId trace, Instrument instrument, double value)
        {
            // A measurement belongs to the trace whose span is current where it is recorded.
            if (Activity.Current?.TraceId == trace)
            {
                _measurements.Enqueue((instrument.Name, value));
            }
        }
    }
}
