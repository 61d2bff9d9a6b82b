using System.Diagnostics;
using Transfer.Augmentation;
using Transfer.Featurization;
using Transfer.Heads.Neural;
using Transfer.Images;

namespace Transfer.FineTuning;

/// <summary>
/// One fine-tuning run: the activations of the images in a working file, the split into training and validation images,
/// and (in <see cref="Train"/>) the session, optimizers and epochs.
/// </summary>
internal sealed partial class FineTuningRun : IDisposable
{
    private readonly BackboneSplit _split;
    private readonly ImageSet _images;
    private readonly FineTuneOptions _options;
    private readonly int[] _labels;
    private readonly bool[] _usable;
    private ActivationFile? _file;
    private IReadOnlyList<SkippedImage> _skipped = [];
    private TimeSpan _cachingTime;

    public FineTuningRun(BackboneSplit split, ImageSet images, FineTuneOptions options)
    {
        _split = split;
        _images = images;
        _options = options;
        _labels = images.ClassIndices();
        _usable = new bool[images.Count];
        Views = options.MirroredViews == true ? 2 : 1;
        Network = split.Network(images.Classes.Count);
    }

    public TunedNetwork Network { get; }

    /// <summary>Gets the views per image in the working file: the image, then (when mirroring) its mirror.</summary>
    public int Views { get; }

    /// <summary>
    /// Fills the working file: each view's trunk rows come from its store when cached there, else from the trunk (and go
    /// into the store). Row <c>image × views + view</c>.
    /// </summary>
    public async Task CacheActivationsAsync(FeaturizerOptions featurizerOptions, Func<string, int, IFeatureStore?>? stores, IProgress<FineTuneProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        _file = new ActivationFile(_options.WorkingDirectory ?? Path.GetTempPath(), _images.Count * Views, Network.TrunkLength);
        var featurizationProgress = progress is null ? null : new Relay<FeaturizationProgress>(p => progress.Report(new FineTuneProgress(FineTuneStage.Caching, p, 0, _options.Epochs, 0, 0, null)));
        for (int view = 0; view < Views; view++)
        {
            var augmentation = view == 0 ? null : AugmentationView.HorizontalFlip;
            using var featurizer = new Featurizer(_split.Trunk, featurizerOptions with { View = augmentation }, deferSession: stores is not null);
            var store = stores?.Invoke(featurizer.FeatureSpaceKey, featurizer.FeatureLength);
            var done = new bool[_images.Count];
            int v = view;
            var summary = await featurizer.FeaturizeAsync(
                _images.Entries,
                (index, row) =>
                {
                    _file.Write((index * Views) + v, row);
                    done[index] = true;
                },
                store,
                featurizationProgress,
                cancellationToken).ConfigureAwait(false);
            for (int i = 0; i < _usable.Length; i++)
            {
                _usable[i] = done[i] && (view == 0 || _usable[i]);
            }

            if (view == 0)
            {
                _skipped = summary.Skipped;
            }
        }

        _cachingTime = clock.Elapsed;
    }

    public void Dispose() => _file?.Dispose();

    /// <summary>Holds out a stratified, seeded fraction of each class's usable images (at least one per class, and one left to train on).</summary>
    private (int[] Train, int[] Validation) SplitImages()
    {
        var byClass = Enumerable.Range(0, Network.Classes).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < _usable.Length; i++)
        {
            if (_usable[i])
            {
                byClass[_labels[i]].Add(i);
            }
        }

        var thin = byClass.Select((rows, c) => (Rows: rows, Name: _images.Classes[c])).Where(x => x.Rows.Count < 2).ToList();
        if (thin.Count > 0)
        {
            throw new ArgumentException($"Fine-tuning holds out images of every class to choose its epoch, so each class needs at least two usable images; {string.Join(", ", thin.Select(x => $"\"{x.Name}\" has {x.Rows.Count}"))}. Add images, or train the head alone.");
        }

        var random = SplitMix64.ForStream(_options.Seed, 0xF17E);
        var train = new List<int>();
        var validation = new List<int>();
        foreach (var rows in byClass)
        {
            int[] shuffled = [.. rows];
            random.Shuffle(shuffled);
            int take = Math.Clamp((int)Math.Round(rows.Count * _options.ValidationFraction, MidpointRounding.AwayFromZero), 1, rows.Count - 1);
            validation.AddRange(shuffled[..take]);
            train.AddRange(shuffled[take..]);
        }

        train.Sort();
        validation.Sort();
        return ([.. train], [.. validation]);
    }

    /// <summary>Reports on the calling thread.</summary>
    private sealed class Relay<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
