using Transfer.Backbones;
using Transfer.Featurization;
using Transfer.Heads;

namespace Transfer.Models;

/// <summary>
/// Makes a <see cref="TransferModel"/> from training's parts. <see cref="TransferModel"/> lives in Transfer.Scoring, which
/// knows no featurizer; these are static extension members, so <c>TransferModel.Create(featurizer, head, …)</c> reads as
/// it always has wherever <c>Transfer.Models</c> is imported.
/// </summary>
public static class TransferModelTraining
{
    extension(TransferModel)
    {
        /// <summary>Creates a model from a featurizer and a head trained on its features.</summary>
        /// <param name="featurizer">The featurizer the head's features came from.</param>
        /// <param name="head">The trained head.</param>
        /// <param name="headDescription">The head trainer's description for the manifest.</param>
        /// <returns>The model.</returns>
        public static TransferModel Create(Featurizer featurizer, TrainedHead head, string headDescription) =>
            Create(featurizer, head, headDescription, TestTimeAugmentation.None);

        /// <summary>Creates a model whose backbone graph averages each image's features with those of its augmented copies (test-time augmentation), so every scorer does the same.</summary>
        /// <param name="featurizer">The featurizer the head's features came from.</param>
        /// <param name="head">The trained head.</param>
        /// <param name="headDescription">The head trainer's description for the manifest.</param>
        /// <param name="testTimeAugmentation">The test-time augmentation built into the saved graph.</param>
        /// <returns>The model.</returns>
        /// <exception cref="ArgumentException">The head does not fit the featurizer, or the augmentation is not defined.</exception>
        public static TransferModel Create(Featurizer featurizer, TrainedHead head, string headDescription, TestTimeAugmentation testTimeAugmentation)
        {
            if (!Enum.IsDefined(testTimeAugmentation))
            {
                throw new ArgumentException($"Parameter \"testTimeAugmentation\" must be None or HorizontalFlip, was {testTimeAugmentation}.", nameof(testTimeAugmentation));
            }

            ArgumentNullException.ThrowIfNull(featurizer);
            ArgumentNullException.ThrowIfNull(head);
            if (head.FeatureLength != featurizer.FeatureLength)
            {
                throw new ArgumentException($"The head expects {head.FeatureLength} features but the featurizer gives {featurizer.FeatureLength}. Train the head on this featurizer's features.", nameof(head));
            }

            var b = featurizer.Backbone;
            var p = featurizer.Options.Preprocessing;
            var manifest = new ModelManifest
            {
                Classes = [.. head.Classes],
                Backbone = b.Name,
                BackboneFingerprint = b.Fingerprint,
                BackboneQuantization = b.Quantization?.Settings,
                Width = b.Width,
                Height = b.Height,
                FeatureLength = b.FeatureLength,
                Preprocessing = p.CanonicalKey(),
                ResizeMode = p.ResizeMode.ToString(),
                AlphaBackground = p.AlphaBackground,
                ApplyExifOrientation = p.ApplyExifOrientation,
                ScaledDecode = p.ScaledDecode,
                Head = head.TrainerName,
                HeadDescription = headDescription,
                TestTimeAugmentation = testTimeAugmentation,
            };
            var graph = testTimeAugmentation == TestTimeAugmentation.None
                ? featurizer.LazyModelBytes
                : new Lazy<byte[]>(() => b.BuildFeaturizerModel(p, testTimeAugmentation), LazyThreadSafetyMode.ExecutionAndPublication);
            return TransferModel.FromParts(manifest, head, () => graph.Value);
        }
    }
}
