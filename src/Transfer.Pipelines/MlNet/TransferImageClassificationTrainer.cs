using System.Globalization;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Transfer.Caching;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Heads.Neural;
using Transfer.Images;

namespace Transfer.Pipelines.MlNet;

/// <summary>
/// A drop-in replacement for ML.NET's <c>ImageClassificationTrainer</c>: computes backbone features of the encoded images
/// (ONNX Runtime, batched, optionally cached on disk), trains a softmax or MLP head on them, and returns a
/// <see cref="TransferImageClassificationTransformer"/> built from ML.NET's own transforms, so
/// <c>mlContext.Model.Save</c>/<c>Load</c> and <c>PredictionEngine</c> work as before. Create it with
/// <c>mlContext.MulticlassClassification.Trainers.TransferImageClassification(…)</c>.
/// </summary>
/// <remarks>
/// Input: <see cref="Options.FeatureColumnName"/> holds encoded image bytes (<c>VarVector&lt;Byte&gt;</c>, from
/// <c>LoadRawImageBytes</c>) and <see cref="Options.LabelColumnName"/> a key (<c>MapValueToKey</c>) with at least two
/// key values. Output: <see cref="Options.ScoreColumnName"/> (<c>Vector&lt;Single&gt;</c>, probabilities in key order),
/// <see cref="Options.PredictedLabelColumnName"/> (a key of the label's key type) and <c>Features</c> (the bottleneck
/// vector). Rows with a missing label (key 0) are left out of training, as ML.NET trainers do. Images are decoded as
/// ML.NET's <c>MLImage</c> decodes them at scoring time (EXIF orientation is not applied in either), so training and
/// scoring see the same pixels.
/// </remarks>
public sealed partial class TransferImageClassificationTrainer : IEstimator<TransferImageClassificationTransformer>
{
    private static readonly ConstructorInfo? ColumnConstructor = typeof(SchemaShape.Column).GetConstructor(
        BindingFlags.Instance | BindingFlags.NonPublic,
        [typeof(string), typeof(SchemaShape.Column.VectorKind), typeof(DataViewType), typeof(bool), typeof(SchemaShape)]);

    private readonly Options _options;

    /// <summary>Creates the trainer.</summary>
    /// <param name="options">The options (kept by reference: do not change them while fitting).</param>
    /// <exception cref="Transfer.Validation.OptionsValidationException">An option is invalid; its <c>Problems</c> lists every problem.</exception>
    public TransferImageClassificationTrainer(Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <summary>Gets the options.</summary>
    public Options TrainerOptions => _options;

    /// <summary>Featurizes the images, trains the head and builds the scoring transformer.</summary>
    /// <param name="input">The training data: an encoded-image bytes column and a key label column.</param>
    /// <returns>The fitted transformer (dispose it to release ONNX Runtime resources).</returns>
    /// <exception cref="ArgumentException">A column is missing or of the wrong type, there are fewer than two classes, or the validation set's key values differ from the training data's.</exception>
    /// <exception cref="InvalidImageException">An image cannot be decoded; the message names the row.</exception>
    public TransferImageClassificationTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var o = _options;
        var train = ReadImages(input, o.FeatureColumnName, o.LabelColumnName, "training data");
        if (train.Classes.Count < 2)
        {
            throw new ArgumentException($"Only one class found in the {o.LabelColumnName} column (key values: {string.Join(", ", train.Classes)}). To build a multiclass classification model, the number of classes needs to be 2 or greater.", nameof(input));
        }

        ImageRows? validation = null;
        if (o.ValidationSet is not null)
        {
            validation = ReadImages(o.ValidationSet, o.FeatureColumnName, o.LabelColumnName, "ValidationSet");
            if (!validation.Classes.SequenceEqual(train.Classes, StringComparer.Ordinal))
            {
                throw new ArgumentException($"ValidationSet's {o.LabelColumnName} key values [{string.Join(", ", validation.Classes)}] differ from the training data's [{string.Join(", ", train.Classes)}]. Map both with one fitted MapValueToKey transformer (fit once, transform both).", nameof(input));
            }
        }

        var backbone = o.Arch ?? Backbones.Backbones.Default;

        // Compatible preprocessing: ML.NET's ResizeImages (Fill) and ExtractPixels at scoring time give these exact pixels.
        using var featurizer = new Featurizer(backbone, new FeaturizerOptions { Preprocessing = ImagePreprocessing.Compatible });
        using var cache = o.WorkspacePath is null ? null : BottleneckCache.Open(o.WorkspacePath);
        var store = cache?.GetStore(featurizer.FeatureSpaceKey, featurizer.FeatureLength);
        var trainFeatures = Task.Run(() => featurizer.FeaturizeAsync(train.Set, store)).GetAwaiter().GetResult();
        var validationFeatures = validation is null ? null : Task.Run(() => featurizer.FeaturizeAsync(validation.Set, store)).GetAwaiter().GetResult();

        var trainer = o.Head ?? (o.SetsNeuralHead ? NeuralTrainer(o, validation is not null) : new AutoHeadTrainer(new AutoHeadOptions { Seed = o.Seed }));
        var trained = trainer.Train(trainFeatures.Features, validationFeatures?.Features, train.Classes);

        var ml = new MLContext(o.Seed);
        var chain = ScoringChain.Build(ml, input.Schema, o.FeatureColumnName, featurizer, trained, o.ScoreColumnName, o.PredictedLabelColumnName);
        var statistics = cache?.Statistics;
        return new TransferImageClassificationTransformer(
            chain,
            train.Classes,
            trained.History,
            trainFeatures.CacheHits + (validationFeatures?.CacheHits ?? 0),
            trainFeatures.Computed + (validationFeatures?.Computed ?? 0),
            train.MissingLabels,
            statistics,
            trainer.Describe());
    }

    private static NeuralHeadTrainer NeuralTrainer(TransferImageClassificationTrainer.Options o, bool hasValidationSet)
    {
        var headOptions = o.ToHeadOptions(hasValidationSet);
        return new NeuralHeadTrainer(o.HiddenLayers.Count == 0 ? new SoftmaxHead(headOptions) : new MlpHead(headOptions));
    }

    /// <summary>Checks the input columns and describes the output: the input columns plus <c>Features</c>, the score and the predicted label.</summary>
    /// <param name="inputSchema">The input schema shape.</param>
    /// <returns>The output schema shape.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type; the message names it and the type expected.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var o = _options;
        if (Find(inputSchema, o.FeatureColumnName) is not { } image)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Column \"{o.FeatureColumnName}\" (FeatureColumnName: encoded image bytes) is not in the input. Load the images with mlContext.Transforms.LoadRawImageBytes(\"{o.FeatureColumnName}\", imageFolder, \"ImagePath\").");
        }

        if (image.Kind != SchemaShape.Column.VectorKind.VariableVector || image.ItemType != NumberDataViewType.Byte)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Column \"{o.FeatureColumnName}\" (FeatureColumnName) must be VarVector<Byte> (encoded image bytes, as LoadRawImageBytes makes), was {Describe(image)}.");
        }

        if (Find(inputSchema, o.LabelColumnName) is not { } label)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Column \"{o.LabelColumnName}\" (LabelColumnName) is not in the input. Make a key label with mlContext.Transforms.Conversion.MapValueToKey(\"{o.LabelColumnName}\", \"Label\").");
        }

        if (!label.IsKey || label.Kind != SchemaShape.Column.VectorKind.Scalar)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Column \"{o.LabelColumnName}\" (LabelColumnName) must be a key (MapValueToKey), was {Describe(label)}.");
        }

        var columns = inputSchema.ToDictionary(c => c.Name, StringComparer.Ordinal);
        columns[ScoringChain.FeaturesColumn] = NewColumn(ScoringChain.FeaturesColumn, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, null);
        columns[o.ScoreColumnName] = NewColumn(o.ScoreColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, null);
        columns[o.PredictedLabelColumnName] = NewColumn(o.PredictedLabelColumnName, SchemaShape.Column.VectorKind.Scalar, label.ItemType, true, label.Annotations);
        return new SchemaShape(columns.Values);
    }

    private static string Describe(SchemaShape.Column column) =>
        $"{column.Kind} of {column.ItemType}{(column.IsKey ? " (key)" : string.Empty)}";

    private static SchemaShape.Column? Find(SchemaShape schema, string name)
    {
        foreach (var column in schema)
        {
            if (column.Name == name)
            {
                return column;
            }
        }

        return null;
    }

    private static SchemaShape.Column NewColumn(string name, SchemaShape.Column.VectorKind kind, DataViewType itemType, bool isKey, SchemaShape? annotations)
    {
        // ML.NET keeps SchemaShape.Column's constructor internal; its own trainers call it. Fails loudly if ML.NET changes it.
        var constructor = ColumnConstructor ?? throw new InvalidOperationException("This Microsoft.ML version lacks SchemaShape.Column's internal constructor; Transfer needs Microsoft.ML 6.0.0.");
        return (SchemaShape.Column)constructor.Invoke([name, kind, itemType, isKey, annotations]);
    }

    /// <summary>Reads the image bytes and key labels of a data view into an image set whose class order is the key order.</summary>
    private static ImageRows ReadImages(IDataView data, string imageColumn, string labelColumn, string what)
    {
        var image = data.Schema.GetColumnOrNull(imageColumn) ?? throw new ArgumentException($"The {what} has no column \"{imageColumn}\" (FeatureColumnName); its columns are {string.Join(", ", data.Schema.Select(c => c.Name))}. Load the images with mlContext.Transforms.LoadRawImageBytes.");
        if (image.Type is not VectorDataViewType { ItemType: var item, IsKnownSize: false } || item != NumberDataViewType.Byte)
        {
            throw new ArgumentException($"Column \"{imageColumn}\" (FeatureColumnName) of the {what} must be VarVector<Byte> (encoded image bytes, as LoadRawImageBytes makes), was {image.Type}.");
        }

        var label = data.Schema.GetColumnOrNull(labelColumn) ?? throw new ArgumentException($"The {what} has no column \"{labelColumn}\" (LabelColumnName); its columns are {string.Join(", ", data.Schema.Select(c => c.Name))}. Make a key label with mlContext.Transforms.Conversion.MapValueToKey.");
        if (label.Type is not KeyDataViewType key || key.RawType != typeof(uint))
        {
            throw new ArgumentException($"Column \"{labelColumn}\" (LabelColumnName) of the {what} must be a key of UInt32 (MapValueToKey), was {label.Type}.");
        }

        var classes = KeyNames(label, (int)key.Count);
        var entries = new List<ImageEntry>();
        int missingLabels = 0;
        using (var cursor = data.GetRowCursor([image, label]))
        {
            var getImage = cursor.GetGetter<VBuffer<byte>>(image);
            var getLabel = cursor.GetGetter<uint>(label);
            VBuffer<byte> bytes = default;
            uint value = 0;
            long row = 0;
            while (cursor.MoveNext())
            {
                getLabel(ref value);
                getImage(ref bytes);
                if (value == 0)
                {
                    missingLabels++;
                }
                else if (bytes.Length == 0)
                {
                    throw new InvalidImageException($"{imageColumn}[row {row}]", $"the {what} row {row} has no image bytes (LoadRawImageBytes gives an empty vector for an empty file). Remove the row or fix the file.");
                }
                else
                {
                    entries.Add(ImageEntry.FromBytes(bytes.DenseValues().ToArray(), classes[(int)value - 1], $"{imageColumn}[row {row}]"));
                }

                row++;
            }
        }

        if (entries.Count == 0)
        {
            throw new ArgumentException($"The {what} has no rows with a label in \"{labelColumn}\" ({missingLabels} rows with a missing key); nothing to train on.");
        }

        return new ImageRows(ImageSet.FromEntries(entries, classes), classes, missingLabels);
    }

    private static List<string> KeyNames(DataViewSchema.Column label, int count)
    {
        if (label.HasKeyValues())
        {
            VBuffer<ReadOnlyMemory<char>> values = default;
            label.GetKeyValues(ref values);
            var names = values.DenseValues().Select(v => v.ToString()).ToList();
            if (names.Count == count && names.Distinct(StringComparer.Ordinal).Count() == count)
            {
                return names;
            }
        }

        // Keys without (usable) text values: the class is named by its key number.
        return Enumerable.Range(1, count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
    }

    private sealed record ImageRows(ImageSet Set, IReadOnlyList<string> Classes, int MissingLabels);
}
