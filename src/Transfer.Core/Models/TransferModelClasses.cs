using System.Numerics.Tensors;
using Transfer.Backbones;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Images;

namespace Transfer.Models;

/// <summary>
/// Adds a class to a trained model from the new class's images alone, without the other classes' images and without
/// retraining: the images are featurized with the model's own backbone and preprocessing, and the head learns the class
/// (a maximum-entropy head by weight imprinting, a prototype head a new prototype, a kNN head the new vectors). Takes
/// seconds; the new model's manifest lists the class in <see cref="ModelManifest.AddedClasses"/>. See docs/HEADS.md.
/// </summary>
public static class TransferModelClasses
{
    extension(TransferModel model)
    {
        /// <summary>Creates a featurizer that computes this model's features: its backbone (a built-in one, found by name, or <paramref name="backbone"/>) and its preprocessing.</summary>
        /// <param name="options">Featurizer options (batch size, threads, bad-image policy); their preprocessing is replaced by the model's. <see langword="null"/> for the defaults.</param>
        /// <param name="backbone">The model's backbone when it is not a built-in one; <see langword="null"/> to find it by the manifest's name.</param>
        /// <returns>The featurizer (dispose it).</returns>
        /// <exception cref="ArgumentException">The backbone is not the model's (another fingerprint), or the manifest names no built-in backbone and none was given.</exception>
        public Featurizer CreateFeaturizer(FeaturizerOptions? options = null, Backbone? backbone = null)
        {
            ArgumentNullException.ThrowIfNull(model);
            var m = model.Manifest;
            if (backbone is null)
            {
                try
                {
                    backbone = Backbones.Backbones.ByName(m.Backbone);
                }
                catch (ArgumentException e)
                {
                    throw new ArgumentException($"The model's backbone \"{m.Backbone}\" is not a built-in one: pass it (the same ONNX file and descriptor it was trained with). {e.Message}", nameof(backbone), e);
                }
            }

            if (!string.Equals(backbone.Fingerprint, m.BackboneFingerprint, StringComparison.Ordinal))
            {
                throw new ArgumentException($"Backbone \"{backbone.Name}\" (fingerprint {backbone.Fingerprint[..16]}…) is not the one the model was trained with (\"{m.Backbone}\", {m.BackboneFingerprint[..Math.Min(16, m.BackboneFingerprint.Length)]}…; an int8 or resized backbone has its own). Pass the model's backbone.", nameof(backbone));
            }

            // The model's preprocessing (resize, background, EXIF, decoding: what its key holds), as Predictor takes it; only the pixel limit is the caller's.
            var preprocessing = model.Preprocessing with { MaxPixels = (options?.Preprocessing ?? ImagePreprocessing.Default).MaxPixels };
            return new Featurizer(backbone, (options ?? new FeaturizerOptions()) with { Preprocessing = preprocessing, View = null }, deferSession: true);
        }

        /// <summary>Adds a class from its images' features (computed by this model's featurizer, <see cref="CreateFeaturizer"/>).</summary>
        /// <param name="label">The new class's name; not one of the model's classes.</param>
        /// <param name="features">The new class's images' features (their labels are ignored).</param>
        /// <returns>A new model with the class last (dispose it; this model is unchanged).</returns>
        /// <exception cref="ArgumentException">The label is empty or already a class, there are no features, or their length is not the model's.</exception>
        /// <exception cref="NotSupportedException">The model's head cannot learn a class without retraining (neural, LightGBM).</exception>
        /// <exception cref="InvalidOperationException">The model's maximum-entropy head lacks the training mean imprinting needs (a model saved before it was recorded).</exception>
        public TransferModel AddClass(string label, FeatureMatrix features)
        {
            ArgumentNullException.ThrowIfNull(model);
            ArgumentNullException.ThrowIfNull(features);
            CheckLabel(model, label);
            var m = model.Manifest;
            if (features.Count == 0)
            {
                throw new ArgumentException($"No images of class \"{label}\" to add: the folder is empty, or every image was skipped as unreadable. Add images of the class.", nameof(features));
            }

            if (features.Dimension != m.FeatureLength)
            {
                throw new ArgumentException($"The features of class \"{label}\" have {features.Dimension} values each, the model's {m.FeatureLength}. Featurize the images with the model's featurizer (CreateFeaturizer).", nameof(features));
            }

            var (head, method) = ClassImprint.Add(model.Head, label, features, m.FeatureMean, m.ClassMeans, m.HeldOutOwnClassProbability);
            var manifest = m with
            {
                Classes = head.Classes,
                ClassMeans = m.ClassMeans is null ? null : [.. m.ClassMeans, FeatureMean(features)],
                AddedClasses = [.. m.AddedClasses, new AddedClass(label, features.Count, method, DateTimeOffset.UtcNow)],
            };
            return model.With(manifest, head);
        }

        /// <summary>Adds a class from its images: featurizes them with <paramref name="featurizer"/> (this model's, <see cref="CreateFeaturizer"/>), through <paramref name="store"/> when given, then adds the class.</summary>
        /// <param name="label">The new class's name; not one of the model's classes.</param>
        /// <param name="images">The new class's images.</param>
        /// <param name="featurizer">This model's featurizer; its <see cref="FeaturizerOptions.BadImagePolicy"/> decides whether an unreadable image stops the run or is skipped.</param>
        /// <param name="store">Where cached features are looked up and new ones written (a bottleneck cache store for <paramref name="featurizer"/>'s feature space), or <see langword="null"/>.</param>
        /// <param name="cancellationToken">Stops featurizing.</param>
        /// <returns>The new model and the featurization (skipped images, cache hits).</returns>
        /// <exception cref="ArgumentException">The label is empty or already a class, no image is usable, or the featurizer is not this model's.</exception>
        /// <exception cref="InvalidImageException">An image cannot be decoded and the featurizer's policy is <see cref="BadImagePolicy.Fail"/>.</exception>
        /// <exception cref="NotSupportedException">The model's head cannot learn a class without retraining.</exception>
        /// <exception cref="InvalidOperationException">The model's maximum-entropy head lacks the training mean imprinting needs.</exception>
        public async Task<ClassAddition> AddClassAsync(string label, IEnumerable<ImageEntry> images, Featurizer featurizer, IFeatureStore? store = null, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(model);
            ArgumentNullException.ThrowIfNull(images);
            ArgumentNullException.ThrowIfNull(featurizer);
            CheckLabel(model, label);
            var m = model.Manifest;
            if (featurizer.Backbone.Fingerprint != m.BackboneFingerprint || featurizer.Options.Preprocessing.CanonicalKey() != m.Preprocessing || featurizer.Options.View is not null)
            {
                throw new ArgumentException($"The featurizer ({featurizer.Backbone.Name}, {featurizer.Options.Preprocessing.CanonicalKey()}) does not compute this model's features ({m.Backbone}, {m.Preprocessing}). Use model.CreateFeaturizer().", nameof(featurizer));
            }

            var entries = images.Select(e => e.WithLabel(label)).ToList();
            if (entries.Count == 0)
            {
                throw new ArgumentException($"No images of class \"{label}\" to add: the folder is empty. Add images of the class.", nameof(images));
            }

            var result = await featurizer.FeaturizeAsync(ImageSet.FromEntries(entries, [label]), store, null, cancellationToken).ConfigureAwait(false);
            if (result.Features.Count == 0)
            {
                throw new ArgumentException($"None of the {entries.Count} images of class \"{label}\" could be read ({string.Join("; ", result.Skipped.Take(3).Select(s => $"{s.Source}: {s.Reason}"))}). Replace them with readable images.", nameof(images));
            }

            return new ClassAddition(model.AddClass(label, result.Features), result);
        }
    }

    /// <summary>The mean of the feature rows: the centre <see cref="ModelManifest.FeatureMean"/> records.</summary>
    /// <param name="features">The training features.</param>
    /// <returns>The mean vector.</returns>
    public static float[] FeatureMean(FeatureMatrix features)
    {
        ArgumentNullException.ThrowIfNull(features);
        return Search.VectorIndex.Mean(features);
    }

    /// <summary>The mean of each class's feature rows, in class order: what <see cref="ModelManifest.ClassMeans"/> records.</summary>
    /// <param name="features">The training features.</param>
    /// <returns>One mean vector per class (zeros for a class without rows).</returns>
    public static float[][] ClassMeans(FeatureMatrix features)
    {
        ArgumentNullException.ThrowIfNull(features);
        int d = features.Dimension;
        var means = new float[features.ClassCount][];
        var counts = new int[features.ClassCount];
        for (int k = 0; k < means.Length; k++)
        {
            means[k] = new float[d];
        }

        for (int i = 0; i < features.Count; i++)
        {
            int y = features.Labels[i];
            counts[y]++;
            TensorPrimitives.Add(means[y], features.Values.AsSpan(i * d, d), means[y]);
        }

        for (int k = 0; k < means.Length; k++)
        {
            TensorPrimitives.Divide(means[k], Math.Max(1, counts[k]), means[k]);
        }

        return means;
    }

    private static void CheckLabel(TransferModel model, string label)
    {
        if (string.IsNullOrWhiteSpace(label))
        {
            throw new ArgumentException("The new class needs a name (--label): it was empty.", nameof(label));
        }

        if (model.Classes.Contains(label, StringComparer.Ordinal))
        {
            throw new ArgumentException($"Class \"{label}\" is already one of the model's classes ({string.Join(", ", model.Classes)}). Pick another name, or retrain with the images added to that class's folder.", nameof(label));
        }
    }
}
