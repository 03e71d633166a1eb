using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Backprop.Cli.DataFiles;
using Backprop.Cli.Runs;
using Spectre.Console;
using static TorchSharp.torch;

namespace Backprop.Cli.Commands;

/// <summary><c>backprop predict CHECKPOINT IMAGE...</c>: a user's own digits, brought to MNIST's form and classified, with the top three probabilities.</summary>
internal static class PredictCommand
{
    /// <summary>Probabilities shown per image.</summary>
    public const int Top = 3;

    public static Command Create(CliConsole io)
    {
        var checkpoint = Options.PathArgument("CHECKPOINT", "A checkpoint.ckpt written by backprop train, or a PyTorch state_dict of the lesson's model (.pt, .safetensors)");
        var images = new Argument<string[]>("IMAGE") { Description = "PNG or JPEG pictures of one digit each, any size, dark on light or light on dark", Arity = ArgumentArity.OneOrMore };
        images.Validators.Add(r =>
        {
            if (r.Tokens.Any(t => string.IsNullOrWhiteSpace(t.Value))) r.AddError("IMAGE needs a path, got an empty one");
        });
        var json = new Option<bool>("--json") { Description = "Print the predictions as JSON (one object per image) instead of lines" };
        var command = new Command("predict", "Classify your own pictures of digits: each is brought to MNIST's form (28x28, centred, scaled) and given the top three probabilities")
        {
            checkpoint, images, json,
        };
        command.SetAction(p => Run(io, p.GetValue(checkpoint)!, p.GetValue(images)!, p.GetValue(json)));
        return command;
    }

    /// <summary>The <see cref="Top"/> most probable digits for one image, most probable first.</summary>
    internal sealed record Prediction(string File, (int Digit, double Probability)[] Top);

    private static int Run(CliConsole io, string file, string[] paths, bool json)
    {
        var weights = ModelWeights.Load(file);
        var pixels = new List<float[]>();
        var bad = 0;
        foreach (var path in paths)
        {
            try
            {
                pixels.Add(DigitImage.Load(path));
            }
            catch (DigitImageException e)
            {
                io.Error.WriteLine($"error: {e.Message}");
                bad++;
            }
        }
        if (bad > 0)
        {
            io.Error.WriteLine("Pass PNG or JPEG files, each a picture of one digit.");
            return ExitCodes.Failed;
        }

        using var model = CheckpointModel.Load(weights.Tensors, weights.Hidden, file, CPU);
        var tops = Classify(xb => model.call(xb), pixels);
        var unfit = Enumerable.Range(0, tops.Length).Where(i => tops[i] is null).ToList();
        foreach (var i in unfit)
            io.Error.WriteLine($"error: {paths[i]}: the model's outputs for it are NaN or infinite (its weights overflow float32), so it has no prediction.");
        if (unfit.Count > 0)
        {
            io.Error.WriteLine($"{file} cannot classify these pictures; use the weights of an earlier epoch or train again with a lower --lr.");
            return ExitCodes.Failed;
        }
        var predictions = tops.Select((top, i) => new Prediction(paths[i], top!)).ToList();
        if (json)
        {
            // Raw, past Spectre's line wrapping: one line of JSON however many images.
            io.Out.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(predictions.Select(p => new
            {
                file = p.File,
                digit = p.Top[0].Digit,
                top = p.Top.Select(t => new { digit = t.Digit, probability = t.Probability }),
            })));
            return ExitCodes.Ok;
        }
        io.Out.WriteLine($"{Shown.Path(file)}: {weights.Description}");
        foreach (var p in predictions)
            io.Out.WriteLine($"{Shown.Path(p.File)}: {p.Top[0].Digit}   ({string.Join(", ", p.Top.Select(t => $"{t.Digit}: {t.Probability.ToString("F4", CultureInfo.InvariantCulture)}"))})");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Softmax of <paramref name="predict"/> over each (784) image, the <see cref="Top"/> classes per image;
    /// <see langword="null"/> for an image whose scores are not all finite (it has no probabilities to give).
    /// </summary>
    internal static (int Digit, double Probability)[]?[] Classify(Func<Tensor, Tensor> predict, IReadOnlyList<float[]> images)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var x = tensor(images.SelectMany(p => p).ToArray(), [images.Count, 784]);
        var scores = predict(x);
        var finite = scores.isfinite().all(1).data<bool>().ToArray();
        var probs = scores.softmax(1).to(ScalarType.Float64).data<double>().ToArray();
        var classes = probs.Length / images.Count;
        return [.. Enumerable.Range(0, images.Count).Select(i => finite[i] ? Enumerable.Range(0, classes)
            .Select(c => (Digit: c, Probability: probs[i * classes + c])).OrderByDescending(t => t.Probability).Take(Top).ToArray() : null)];
    }
}
