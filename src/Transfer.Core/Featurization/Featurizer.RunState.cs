using System.Diagnostics;
using Transfer.Images;

namespace Transfer.Featurization;

/// <content>The counters of one featurization run.</content>
public sealed partial class Featurizer
{
    private sealed class RunState(int total)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public List<SkippedImage> Skipped { get; } = [];

        public int Hits { get; set; }

        public int Computed { get; set; }

        public int Completed { get; set; }

        public void Report(IProgress<FeaturizationProgress>? progress) =>
            progress?.Report(new FeaturizationProgress(Completed, total, Skipped.Count, Hits, _clock.Elapsed));

        public FeaturizationSummary Summary() => new(Computed, Hits, Skipped, _clock.Elapsed);
    }
}
