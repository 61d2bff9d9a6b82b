using Microsoft.ML.Data;

namespace Common;

/// <summary>Prints ML.NET's multiclass metrics.</summary>
public static class ConsoleHelper
{
    public static void PrintMultiClassClassificationMetrics(string name, MulticlassClassificationMetrics metrics)
    {
        Console.WriteLine("************************************************************");
        Console.WriteLine($"*    Metrics for {name} multi-class classification model");
        Console.WriteLine("*-----------------------------------------------------------");
        Console.WriteLine($"    AccuracyMacro = {metrics.MacroAccuracy:0.####}, a value between 0 and 1, the closer to 1, the better");
        Console.WriteLine($"    AccuracyMicro = {metrics.MicroAccuracy:0.####}, a value between 0 and 1, the closer to 1, the better");
        Console.WriteLine($"    LogLoss = {metrics.LogLoss:0.####}, the closer to 0, the better");
        for (int i = 0; i < metrics.PerClassLogLoss.Count; i++)
        {
            Console.WriteLine($"    LogLoss for class {i + 1} = {metrics.PerClassLogLoss[i]:0.####}, the closer to 0, the better");
        }

        Console.WriteLine("************************************************************");
    }
}
