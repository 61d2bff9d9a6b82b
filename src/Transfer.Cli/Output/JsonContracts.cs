using Transfer.Evaluation;

namespace Transfer.Cli.Output;

// The --json shapes. Property names (camelCase) are a stable interface documented in docs/CLI.md: add, never rename.

/// <summary>Metrics of one evaluation (<c>evaluate --json</c>, and <c>evaluation</c> in <c>train --json</c>).</summary>
internal sealed record EvaluationJson(
    int Count,
    double MicroAccuracy,
    double MacroAccuracy,
    double LogLoss,
    double LogLossReduction,
    int TopK,
    double TopKAccuracy,
    IReadOnlyList<string> Classes,
    IReadOnlyList<ClassJson> PerClass,
    IReadOnlyList<int[]> ConfusionMatrix)
{
    public static EvaluationJson From(EvaluationResult e)
    {
        int n = e.Classes.Count;
        var matrix = new List<int[]>(n);
        for (int i = 0; i < n; i++)
        {
            var row = new int[n];
            for (int j = 0; j < n; j++)
            {
                row[j] = e.ConfusionMatrix[i, j];
            }

            matrix.Add(row);
        }

        return new EvaluationJson(
            e.Count, e.MicroAccuracy, e.MacroAccuracy, e.LogLoss, e.LogLossReduction, e.TopK, e.TopKAccuracy, e.Classes,
            e.PerClass.Select(c => new ClassJson(c.Name, c.Precision, c.Recall, c.F1, c.Support)).ToList(), matrix);
    }
}

/// <summary>Per-class figures: rows of the confusion matrix are true classes.</summary>
internal sealed record ClassJson(string Name, double Precision, double Recall, double F1, int Support);

/// <summary><c>train --json</c>.</summary>
internal sealed record TrainJson(
    string Model,
    string Backbone,
    string Head,
    IReadOnlyList<string> Classes,
    int TrainImages,
    int TestImages,
    int CacheHits,
    int Computed,
    double FeaturizeSeconds,
    double TrainSeconds,
    IReadOnlyList<SkippedJson> Skipped,
    EvaluationJson? Evaluation,
    string? Report = null,
    EstimateJson? Estimate = null,
    int TrainedOnImages = 0,
    IReadOnlyList<HeadCandidateJson>? HeadCandidates = null,
    int AugmentedViews = 0,
    string TestTimeAugmentation = "None",
    string Resize = "Stretch",
    string? ResizeReason = null,
    FineTuneJson? FineTune = null,
    UnknownJson? Unknown = null)
{
    /// <summary>Gets where the backbone ran: <c>CPU</c>, or <c>CUDA:N</c> (<c>CPU</c> after a fallback from <c>--device cuda</c>).</summary>
    public string Device { get; init; } = "CPU";

    /// <summary>Gets the full path of <c>--manifest</c>, or <see langword="null"/> for a folder.</summary>
    public string? Manifest { get; init; }

    /// <summary>Gets the C# that loads and uses the saved model in an app (as printed after a text-mode run).</summary>
    public string LoadSnippet { get; init; } = string.Empty;

    /// <summary>Gets the trained head's options as recorded in the model (e.g. <c>MlpHead(epochs=30, batch=32, lr=0.001, ..., hidden=[128], ...)</c>).</summary>
    public string HeadDescription { get; init; } = string.Empty;
}

/// <summary>What <c>train --fine-tune</c> did: epochs, held-out figures before and after, throughput, and the frozen model's test metrics when the tuned model replaced it.</summary>
internal sealed record FineTuneJson(
    string Layers,
    bool KeptFrozen,
    int Epochs,
    int BestEpoch,
    int TrainImages,
    int ValidationImages,
    double FrozenValidationAccuracy,
    double TunedValidationAccuracy,
    double FrozenValidationLoss,
    double TunedValidationLoss,
    double ImagesPerSecond,
    double CachingSeconds,
    double TrainingSeconds,
    EvaluationJson? FrozenEvaluation);

/// <summary>How the accuracy was estimated (<c>method</c>: <c>test</c>, <c>cv</c> or <c>holdout</c>) and the figures.</summary>
internal sealed record EstimateJson(string Method, int Images, double MicroAccuracy, double MacroAccuracy, int? Folds, double? StandardDeviation)
{
    public static EstimateJson From(AccuracyEstimate e) => new(e.Method, e.Images, e.MicroAccuracy, e.MacroAccuracy, e.Folds, e.StandardDeviation);
}

/// <summary>One candidate of the automatic head choice and its cross-validated figures.</summary>
internal sealed record HeadCandidateJson(string Name, double? LogLoss, double? MicroAccuracy, double? MacroAccuracy, double Seconds, bool Chosen, string? Skipped);

/// <summary>An image left out, and why.</summary>
internal sealed record SkippedJson(string Source, string Reason);

/// <summary><c>predict --json</c>.</summary>
internal sealed record PredictJson(IReadOnlyList<PredictionJson> Predictions, IReadOnlyList<SkippedJson> Failed);

/// <summary>One image's prediction: the best label, its probability, and the top classes best first.</summary>
internal sealed record PredictionJson(string Image, string Label, float Score, IReadOnlyList<LabelScoreJson> Top, [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] bool? Unknown = null);

/// <summary>A class and its probability.</summary>
internal sealed record LabelScoreJson(string Label, float Score);

/// <summary><c>cache info --json</c>.</summary>
internal sealed record CacheInfoJson(
    string Directory,
    long BytesOnDisk,
    int Segments,
    int QuarantinedSegments,
    int TemporaryFiles,
    long Vectors,
    IReadOnlyList<FingerprintJson> Fingerprints);

/// <summary>One fingerprint (backbone + preprocessing) of a cache.</summary>
internal sealed record FingerprintJson(string? Fingerprint, int Dimension, long Vectors, int Segments, int UnreadableSegments, long BytesOnDisk);

/// <summary><c>cache prune --json</c>.</summary>
internal sealed record PruneJson(string Directory, int ImagesKept, long VectorsRemoved, long VectorsKept, int SegmentsDeleted, int SegmentsRewritten, int FilesRemoved, long BytesFreed);

/// <summary><c>cache clear --json</c>.</summary>
internal sealed record ClearJson(string Directory, int FilesDeleted);

/// <summary><c>backbones --json</c>.</summary>
internal sealed record BackbonesJson(IReadOnlyList<BackboneJson> Backbones);

/// <summary>A built-in backbone: input size, feature length and measured milliseconds per image (null when not measured or unavailable).</summary>
internal sealed record BackboneJson(string Name, bool Available, int Width, int Height, int FeatureLength, double? MsPerImage, int MeasuredImages, string? Problem);

/// <summary><c>similar --json</c>: the query image, the folder searched, and the most similar images, most similar first.</summary>
internal sealed record SimilarJson(string Query, string Folder, string Backbone, int Searched, IReadOnlyList<SimilarImageJson> Results);

/// <summary>One similar image: its path, its class folder, and its cosine similarity to the query (−1 to 1).</summary>
internal sealed record SimilarImageJson(string Image, string Label, float Score);

/// <summary><c>transfer featurize --json</c>: what one shard featurized into the cache.</summary>
internal sealed record FeaturizeJson(
    string Cache, string Backbone, string Shard, int Images, int Assigned, int CacheHits, int Computed, double Seconds,
    string Resize, string? ResizeReason, bool ScaledDecode, IReadOnlyList<FeaturizedViewJson> Views, IReadOnlyList<SkippedJson> Skipped);

/// <summary>One featurized view (<c>plain</c>, or an augmented view's canonical key) and its cache fingerprint.</summary>
internal sealed record FeaturizedViewJson(string View, string Fingerprint, int CacheHits, int Computed);

/// <summary><c>transfer cache merge --json</c>.</summary>
internal sealed record MergeJson(string Source, string Destination, int SegmentsRead, long VectorsAdded, long VectorsPresent, IReadOnlyList<string> DamagedSegments);

/// <summary>What <c>transfer export</c> wrote: the ONNX file, its size, tensor names, and the model it holds.</summary>
internal sealed record ExportJson(string Output, long Bytes, string Input, IReadOnlyList<string> Outputs, IReadOnlyList<string> Classes, string Backbone, string Head, string ResizeMode, string TestTimeAugmentation);
