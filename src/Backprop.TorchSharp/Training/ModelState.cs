using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Backprop.Training;

/// <summary>Copies a model's parameters to and from <see cref="CheckpointTensor"/>s, by <c>state_dict</c> name.</summary>
public static class ModelState
{
    /// <summary>The parameters of <paramref name="model"/>, copied to the host, in <c>named_parameters()</c> order.</summary>
    public static IReadOnlyList<CheckpointTensor> Capture(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return [.. model.named_parameters().Select(p =>
            new CheckpointTensor(p.name, p.parameter.shape, p.parameter.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray()))];
    }

    /// <summary>Overwrites the parameters of <paramref name="model"/> with <paramref name="weights"/> (on the model's device).</summary>
    /// <param name="model">The model to fill.</param>
    /// <param name="weights">One tensor per parameter, same names and shapes.</param>
    /// <param name="file">The checkpoint's path, for errors.</param>
    /// <exception cref="CheckpointException">The names or shapes do not match the model's.</exception>
    public static void Restore(nn.Module model, IReadOnlyList<CheckpointTensor> weights, string file)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(weights);
        var parameters = model.named_parameters().ToList();
        var expected = string.Join(", ", parameters.Select(p => $"{p.name} ({string.Join(", ", p.parameter.shape)})"));
        var saved = string.Join(", ", weights.Select(w => $"{w.Name} ({string.Join(", ", w.Shape)})"));
        if (expected != saved)
            throw new CheckpointException(file, $"holds tensors {saved}, but the model needs {expected}");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var ((_, p), w) in parameters.Zip(weights))
            p.copy_(tensor(w.Values).reshape(w.Shape));
    }

    /// <summary>The two <c>nn.Linear</c> layers of the lesson's <c>nn.Sequential(Linear, ReLU, Linear)</c>.</summary>
    /// <exception cref="ArgumentException">The model is not such a sequence.</exception>
    public static (Linear L1, Linear L2) Layers(Sequential model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var layers = model.children().OfType<Linear>().ToArray();
        return layers.Length == 2 ? (layers[0], layers[1]) : throw new ArgumentException($"expected two nn.Linear layers, found {layers.Length}", nameof(model));
    }
}
