namespace Transfer.Models;

/// <summary>A class and its probability.</summary>
/// <param name="Label">The class name.</param>
/// <param name="Score">Its probability.</param>
public sealed record LabelScore(string Label, float Score);

/// <summary>The prediction for one image.</summary>
/// <param name="Label">The most probable class.</param>
/// <param name="Score">Its probability.</param>
/// <param name="Top">The most probable classes, best first.</param>
/// <param name="Scores">The probability of every class, in class order.</param>
public sealed record Prediction(string Label, float Score, IReadOnlyList<LabelScore> Top, IReadOnlyList<float> Scores)
{
    /// <summary>The label of an image rejected as none of the known classes (<see cref="PredictorOptions.RejectUnknown"/>).</summary>
    public const string UnknownLabel = "unknown";

    /// <summary>
    /// Gets a value indicating whether the image was rejected as none of the known classes: <see cref="Label"/> is then
    /// <see cref="UnknownLabel"/>, and <see cref="Score"/> and <see cref="Top"/> still give the most probable known classes.
    /// </summary>
    public bool IsUnknown { get; init; }
}
