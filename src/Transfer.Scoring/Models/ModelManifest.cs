using Transfer.Backbones;
using System.Text.Json.Serialization;

namespace Transfer.Models;

/// <summary>What a saved model records about how it was made (stored as <c>Transfer/manifest.json</c> inside the model zip).</summary>
public sealed record ModelManifest
{
    /// <summary>Gets the manifest format version.</summary>
    public int Format { get; init; } = 1;

    /// <summary>Gets the class names in class-index order (the order of the <c>Score</c> vector).</summary>
    public required IReadOnlyList<string> Classes { get; init; }

    /// <summary>Gets the backbone's name.</summary>
    public required string Backbone { get; init; }

    /// <summary>Gets the backbone's fingerprint (SHA-256 of model and descriptor).</summary>
    public required string BackboneFingerprint { get; init; }

    /// <summary>Gets the int8 quantization settings of the backbone (<c>Backbone.Quantization.Settings</c>), or <see langword="null"/> for a floating-point backbone.</summary>
    public string? BackboneQuantization { get; init; }

    /// <summary>Gets the input width.</summary>
    public required int Width { get; init; }

    /// <summary>Gets the input height.</summary>
    public required int Height { get; init; }

    /// <summary>Gets the feature length.</summary>
    public required int FeatureLength { get; init; }

    /// <summary>Gets the canonical preprocessing key.</summary>
    public required string Preprocessing { get; init; }

    /// <summary>Gets the resize mode name.</summary>
    public required string ResizeMode { get; init; }

    /// <summary>Gets the alpha background colour (0xRRGGBB).</summary>
    public required int AlphaBackground { get; init; }

    /// <summary>Gets whether EXIF orientation was applied in training.</summary>
    public required bool ApplyExifOrientation { get; init; }

    /// <summary>Gets whether JPEG and WebP images were decoded at a reduced scale in training (<c>ImagePreprocessing.ScaledDecode</c>); the predictor decodes the same way.</summary>
    /// <value>The default value is <see langword="false"/> (also for models saved before this field existed).</value>
    public bool ScaledDecode { get; init; }

    /// <summary>Gets the head trainer's name.</summary>
    public required string Head { get; init; }

    /// <summary>Gets the head trainer's description (options).</summary>
    public required string HeadDescription { get; init; }

    /// <summary>
    /// Gets the test-time augmentation inside the model's backbone graph: with <see cref="TestTimeAugmentation.HorizontalFlip"/>
    /// every scorer (Predictor, CLI, plain ML.NET) averages the features of each image and its mirror image.
    /// </summary>
    /// <value>The default value is <see cref="TestTimeAugmentation.None"/> (also for models saved before this field existed).</value>
    [JsonConverter(typeof(JsonStringEnumConverter<TestTimeAugmentation>))]
    public TestTimeAugmentation TestTimeAugmentation { get; init; }

    /// <summary>Gets the model's input column kind.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<ScoringInput>))]
    public ScoringInput Input { get; init; }

    /// <summary>
    /// Gets the mean feature vector of the training images (the centre a class added later is imprinted around), or
    /// <see langword="null"/> for models saved before it was recorded.
    /// </summary>
    public IReadOnlyList<float>? FeatureMean { get; init; }

    /// <summary>
    /// Gets the mean feature vector of each class's training images, in class order (a class added later keeps clear of
    /// them), or <see langword="null"/> for models saved before they were recorded.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<float>>? ClassMeans { get; init; }

    /// <summary>
    /// Gets the mean probability the model gave held-out images of their own class (out-of-fold by default): the
    /// confidence a class added later is calibrated to, or <see langword="null"/> when unknown.
    /// </summary>
    public double? HeldOutOwnClassProbability { get; init; }

    /// <summary>Gets the threshold for answering "unknown", or <see langword="null"/> when none was chosen (models saved before it existed).</summary>
    public UnknownThreshold? Unknown { get; init; }

    /// <summary>Gets the classes added after training, in the order they were added.</summary>
    /// <value>The default value is an empty list.</value>
    public IReadOnlyList<AddedClass> AddedClasses { get; init; } = [];

    /// <summary>Gets the Transfer version that saved the model.</summary>
    public string TransferVersion { get; init; } = typeof(ModelManifest).Assembly.GetName().Version?.ToString() ?? "0";

    /// <summary>Gets when the model was saved (UTC).</summary>
    public DateTimeOffset CreatedUtc { get; init; } = DateTimeOffset.UtcNow;
}
