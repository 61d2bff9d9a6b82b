namespace Transfer.Cli.Commands;

/// <summary>The C# that <c>train</c> prints after saving: how an app loads and uses the model it just wrote.</summary>
internal static class LoadSnippet
{
    /// <summary>The snippet for a model zip, its path as a C# verbatim string.</summary>
    /// <param name="modelPath">The saved model's full path.</param>
    /// <param name="usesLightGbm">Whether the head is LightGBM's (an app that loads it needs Microsoft.ML.LightGbm).</param>
    public static string For(string modelPath, bool usesLightGbm)
    {
        string path = "@\"" + modelPath.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        string packages = usesLightGbm ? "Transfer.Scoring Microsoft.ML.LightGbm   (two packages: the head is LightGBM's)" : "Transfer.Scoring";
        return $$"""
            // dotnet add package {{packages}}
            using Transfer.Models;

            using var model = TransferModel.Load({{path}});
            using var predictor = model.CreatePredictor();   // thread-safe; PredictorPool for servers
            var prediction = predictor.Predict("image.jpg", top: 3);
            Console.WriteLine($"{prediction.Label} {prediction.Score:P1}");
            // Plain ML.NET: new MLContext().Model.Load({{path}}, out _); input column ImagePath, outputs PredictedLabel and Score (docs/USAGE.md).
            """;
    }
}
