using Transfer.Backbones;
using Transfer.Featurization;
using Transfer.Images;

namespace Transfer.FineTuning;

/// <summary>
/// Fine-tunes the top of a backbone with a linear head on the user's images, the second half of Keras' transfer-learning
/// guide, without a training framework: the forward and backward passes are ONNX graphs (<c>TrainingGraph</c>) that
/// ONNX Runtime's inference build runs.
/// </summary>
/// <remarks>
/// <para>
/// A run folds BatchNorm into the convolutions (frozen, inference mode), cuts the backbone below its last residual stage
/// (or last block), computes the activations entering it once per image (and per mirrored view) and caches them: by
/// content in the given feature stores across runs, and in a half-precision working file streamed a batch at a time, so
/// each epoch runs only the tuned layers and memory stays bounded. The head starts as a maximum-entropy head fitted on
/// the frozen features; then both train with lower rates for the backbone, warm-up and cosine decay, and early stopping
/// on a held-out stratified split that restores the best epoch. The tuned weights are written back into the backbone
/// ONNX model (<see cref="FineTuneResult.Backbone"/>), so every scorer runs the result unchanged.
/// </para>
/// <para>Deterministic for a seed on the CPU with the same thread count.</para>
/// </remarks>
public sealed class FineTuner
{
    /// <summary>Creates a fine-tuner.</summary>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <exception cref="Validation.OptionsValidationException">The options are invalid; every problem is listed.</exception>
    public FineTuner(FineTuneOptions? options = null)
    {
        Options = options ?? new FineTuneOptions();
        Options.Validate();
    }

    /// <summary>Gets the options.</summary>
    public FineTuneOptions Options { get; }

    /// <summary>Fine-tunes <paramref name="backbone"/> and a linear head on <paramref name="images"/>.</summary>
    /// <param name="backbone">The frozen floating-point backbone, a ResNet-style CNN (e.g. <see cref="Backbones.Backbones.Default"/>).</param>
    /// <param name="images">The labelled training images; a stratified <see cref="FineTuneOptions.ValidationFraction"/> of them is held out.</param>
    /// <param name="featurizerOptions">Preprocessing, batch size and bad-image policy of the activation pass; <see langword="null"/> for the defaults.</param>
    /// <param name="activationStores">
    /// Where activations are kept by content across runs: called with each trunk's feature-space key and row length,
    /// returns the store (e.g. <c>(key, length) =&gt; cache.GetStore(key, length)</c> on a half-precision bottleneck
    /// cache with small segments); <see langword="null"/> to compute them every run.
    /// </param>
    /// <param name="progress">Receives the stage, featurization progress, and each batch and epoch.</param>
    /// <param name="cancellationToken">Stops the run within the current batch (ONNX Runtime is interrupted).</param>
    /// <returns>The tuned backbone and head with the run's history, or the frozen ones when tuning did not help.</returns>
    /// <exception cref="ArgumentException">The backbone cannot be tuned, or there are too few images (each class needs two usable ones).</exception>
    /// <exception cref="NotSupportedException">The backbone's top holds a convolution the training graph cannot differentiate.</exception>
    /// <exception cref="InvalidImageException">An image is unusable under <see cref="BadImagePolicy.Fail"/>.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public Task<FineTuneResult> TuneAsync(Backbone backbone, ImageSet images, FeaturizerOptions? featurizerOptions = null, Func<string, int, IFeatureStore?>? activationStores = null, IProgress<FineTuneProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(images);
        if (images.Classes.Count < 2)
        {
            throw new ArgumentException($"Fine-tuning needs at least two classes, the image set has {images.Classes.Count}.", nameof(images));
        }

        return RunAsync(backbone, images, featurizerOptions ?? new FeaturizerOptions(), activationStores, progress, cancellationToken);
    }

    private async Task<FineTuneResult> RunAsync(Backbone backbone, ImageSet images, FeaturizerOptions featurizerOptions, Func<string, int, IFeatureStore?>? activationStores, IProgress<FineTuneProgress>? progress, CancellationToken cancellationToken)
    {
        var split = await Task.Run(() => BackboneSplit.Cut(backbone, Options.Layers), cancellationToken).ConfigureAwait(false);
        using var run = new FineTuningRun(split, images, Options);
        await run.CacheActivationsAsync(featurizerOptions, activationStores, progress, cancellationToken).ConfigureAwait(false);
        return await Task.Run(() => run.Train(progress, cancellationToken), cancellationToken).ConfigureAwait(false);
    }
}
