// MigrateFromImageClassificationTrainer: the training program of ML.NET's sample
// "DeepLearning_ImageClassification_Training" (dotnet/machinelearning-samples, ImageClassification.Train, MIT licence),
// ported to Transfer. The ML.NET code is unchanged except the trainer line in step 5 (the original is kept in a comment
// above it) and the `using Microsoft.ML.Vision;` that the TensorFlow trainer needed. The flower photos download is
// replaced by the QuickStart sample's embedded Fashion-MNIST PNGs (10 classes × 50), and the final ReadKey is gone.
using System.Diagnostics;
using Common;
using ImageClassification.DataModels;
using Microsoft.ML;
using static Microsoft.ML.Transforms.ValueToKeyMappingEstimator;

namespace ImageClassification.Train;

internal static class Program
{
    private static void Main(string[] args)
    {
        const string assetsRelativePath = "assets";
        string assetsPath = GetAbsolutePath(assetsRelativePath);

        string outputMlNetModelFilePath = Path.Combine(args.Length > 0 ? args[0] : Path.Combine(assetsPath, "outputs"), "imageClassifier.zip");
        string imagesFolderPathForPredictions = Path.Combine(assetsPath, "inputs", "test-images");

        string imagesDownloadFolderPath = Path.Combine(assetsPath, "inputs", "images");

        // 1. The image set (the original downloads and unzips 200 flower photos here).
        string finalImagesFolderName = DownloadImageSet(imagesDownloadFolderPath);
        string fullImagesetFolderPath = Path.Combine(imagesDownloadFolderPath, finalImagesFolderName);

        var mlContext = new MLContext(seed: 1);

        // Trainer log lines only (the MetricsCallback option is the other way to see progress).
        mlContext.Log += FilterMLContextLog;

        // 2. All image paths and labels in an IDataView, shuffled.
        IEnumerable<ImageData> images = LoadImagesFromDirectory(folder: fullImagesetFolderPath, useFolderNameAsLabel: true);
        IDataView fullImagesDataset = mlContext.Data.LoadFromEnumerable(images);
        IDataView shuffledFullImageFilePathsDataset = mlContext.Data.ShuffleRows(fullImagesDataset);

        // 3. Labels to keys, and the image files' bytes into an "Image" column.
        IDataView shuffledFullImagesDataset = mlContext.Transforms.Conversion
                .MapValueToKey(outputColumnName: "LabelAsKey", inputColumnName: "Label", keyOrdinality: KeyOrdinality.ByValue)
            .Append(mlContext.Transforms.LoadRawImageBytes(outputColumnName: "Image", imageFolder: fullImagesetFolderPath, inputColumnName: "ImagePath"))
            .Fit(shuffledFullImageFilePathsDataset)
            .Transform(shuffledFullImageFilePathsDataset);

        // 4. 80:20 train/test split.
        var trainTestData = mlContext.Data.TrainTestSplit(shuffledFullImagesDataset, testFraction: 0.2);
        IDataView trainDataView = trainTestData.TrainSet;
        IDataView testDataView = trainTestData.TestSet;

        // 5. The training pipeline with the trainer's defaults.
        //
        // var pipeline = mlContext.MulticlassClassification.Trainers.ImageClassification(featureColumnName: "Image", labelColumnName: "LabelAsKey", validationSet: testDataView)
        var pipeline = mlContext.MulticlassClassification.Trainers.TransferImageClassification(featureColumnName: "Image", labelColumnName: "LabelAsKey", validationSet: testDataView)
            .Append(mlContext.Transforms.Conversion.MapKeyToValue(outputColumnName: "PredictedLabel", inputColumnName: "PredictedLabel"));

        // 6. Train.
        Console.WriteLine("*** Training the image classification model with transfer learning on top of a pretrained backbone ***");
        var watch = Stopwatch.StartNew();
        ITransformer trainedModel = pipeline.Fit(trainDataView);
        watch.Stop();
        Console.WriteLine($"Training with transfer learning took: {watch.ElapsedMilliseconds / 1000} seconds");

        // 7. Quality metrics on the test set.
        EvaluateModel(mlContext, testDataView, trainedModel);

        // 8. Save the ML.NET model zip.
        Directory.CreateDirectory(Path.GetDirectoryName(outputMlNetModelFilePath)!);
        mlContext.Model.Save(trainedModel, trainDataView.Schema, outputMlNetModelFilePath);
        Console.WriteLine($"Model saved to: {outputMlNetModelFilePath}");

        // 9. One prediction from in-memory bytes, as an app would make it.
        TrySinglePrediction(imagesFolderPathForPredictions, mlContext, trainedModel);
    }

    private static void EvaluateModel(MLContext mlContext, IDataView testDataset, ITransformer trainedModel)
    {
        Console.WriteLine("Making predictions in bulk for evaluating model's quality...");
        var watch = Stopwatch.StartNew();
        var predictionsDataView = trainedModel.Transform(testDataset);
        var metrics = mlContext.MulticlassClassification.Evaluate(predictionsDataView, labelColumnName: "LabelAsKey", predictedLabelColumnName: "PredictedLabel");
        ConsoleHelper.PrintMultiClassClassificationMetrics("Transfer (ResNet18) transfer learning", metrics);
        watch.Stop();
        Console.WriteLine($"Predicting and Evaluation took: {watch.ElapsedMilliseconds / 1000} seconds");
    }

    private static void TrySinglePrediction(string imagesFolderPathForPredictions, MLContext mlContext, ITransformer trainedModel)
    {
        var predictionEngine = mlContext.Model.CreatePredictionEngine<InMemoryImageData, ImagePrediction>(trainedModel);
        var testImages = FileUtils.LoadInMemoryImagesFromDirectory(imagesFolderPathForPredictions, false);
        var imageToPredict = testImages.First();
        var prediction = predictionEngine.Predict(imageToPredict);
        Console.WriteLine($"Image Filename : [{imageToPredict.ImageFileName}], Scores : [{string.Join(",", prediction.Score)}], Predicted Label : {prediction.PredictedLabel}");
    }

    public static IEnumerable<ImageData> LoadImagesFromDirectory(string folder, bool useFolderNameAsLabel = true) =>
        FileUtils.LoadImagesFromDirectory(folder, useFolderNameAsLabel).Select(x => new ImageData(x.imagePath, x.label));

    /// <summary>Returns the folder the images are in; the original downloaded and unzipped them first.</summary>
    public static string DownloadImageSet(string imagesDownloadFolder)
    {
        const string folderName = "fashion_mnist_subset";
        if (!Directory.Exists(Path.Combine(imagesDownloadFolder, folderName)))
        {
            throw new DirectoryNotFoundException($"The images are not in {Path.Combine(imagesDownloadFolder, folderName)}; build the sample (it copies samples/QuickStart/data/train there).");
        }

        return folderName;
    }

    public static string GetAbsolutePath(string relativePath) => FileUtils.GetAbsolutePath(typeof(Program).Assembly, relativePath);

    private static void FilterMLContextLog(object? sender, LoggingEventArgs e)
    {
        if (e.Message.StartsWith("[Source=ImageClassificationTrainer;", StringComparison.Ordinal))
        {
            Console.WriteLine(e.Message);
        }
    }
}
