using System.Diagnostics;
using Transfer.Diagnostics;

namespace Transfer.Featurization;

/// <content>The featurization span and metrics (docs/OBSERVABILITY.md): one span and a few counter adds per call, none per image.</content>
public sealed partial class Featurizer
{
    private Activity? StartActivity(int images, bool cached)
    {
        var activity = Instrumentation.Source.StartActivity(CoreTelemetry.FeaturizeSpan);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("transfer.backbone", Backbone.Name);
            activity.SetTag("transfer.images", images);
            activity.SetTag("transfer.cache", cached);
            if (Options.View is { } view)
            {
                activity.SetTag("transfer.view", view.ToString());
            }
        }

        return activity;
    }

    private static FeaturizationSummary Record(Activity? activity, FeaturizationSummary summary)
    {
        CoreTelemetry.ImagesFeaturized.Add(summary.Computed);
        CoreTelemetry.FeaturizationDuration.Record(summary.Elapsed.TotalSeconds);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("transfer.images.computed", summary.Computed);
            activity.SetTag("transfer.cache.hits", summary.CacheHits);
            activity.SetTag("transfer.images.skipped", summary.Skipped.Count);
        }

        return summary;
    }
}
