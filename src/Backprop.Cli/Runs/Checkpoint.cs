using Backprop.Native;
using Backprop.Scratch;
using Backprop.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Backprop.Cli.Runs;

/// <summary>
/// Everything a run needs to continue as if it had never stopped: its settings, the epochs done and their results, the
/// model's weights (in <c>nn.Sequential(nn.Linear, nn.ReLU, ..., nn.Linear)</c>'s <c>state_dict</c> layout, whichever path
/// trained them), the optimizer's state and torch's random state. Read and written by <see cref="CheckpointFile"/>.
/// </summary>
/// <param name="Settings">The run's settings.</param>
/// <param name="History">One result per epoch done; its count is the number of epochs done.</param>
/// <param name="Weights">The model's parameters by <c>state_dict</c> name: <c>0.weight</c> (h1, 784), <c>0.bias</c> (h1), <c>2.weight</c> (10, h1), <c>2.bias</c> (10) for one hidden layer, then <c>4.weight</c>... for each more (<see cref="HiddenLayers.StateDict"/>).</param>
/// <param name="Optimizer">The optimizer's state.</param>
/// <param name="RngState">torch's CPU generator state (<c>torch.get_rng_state()</c>) after the last epoch: the next epoch's shuffle comes from it.</param>
internal sealed record Checkpoint(
    TrainSettings Settings,
    IReadOnlyList<EpochResult> History,
    IReadOnlyList<CheckpointTensor> Weights,
    OptimizerState Optimizer,
    byte[] RngState)
{
    /// <summary>The number of epochs done.</summary>
    public int Epochs => History.Count;

    /// <summary>The CPU kernels that trained each epoch of <see cref="History"/>; empty in a checkpoint written before they were recorded, and null for such an epoch after a resume.</summary>
    public IReadOnlyList<EpochKernels?> Kernels { get; init; } = [];

    /// <summary>
    /// Puts the weights into <paramref name="model"/> and torch's random state back as it was after the last epoch, so that
    /// the next epoch shuffles and trains as the uninterrupted run's would.
    /// </summary>
    /// <param name="model">The model of <see cref="Settings"/>, freshly built.</param>
    /// <param name="file">The checkpoint's path, for errors.</param>
    /// <exception cref="CheckpointException">The weights do not fit the model, or torch does not take the random state.</exception>
    public void Restore(nn.Module model, string file)
    {
        ModelState.Restore(model, Weights, file);
        RandomState.Restore(RngState, file);
    }
}

/// <summary>The CPU kernels that trained an epoch, as libtorch and MKL reported them (<see cref="CpuKernelsState"/>).</summary>
/// <param name="Aten">ATen's kernels: <c>default</c>, <c>avx2</c> or <c>avx512</c>; null where libtorch cannot say.</param>
/// <param name="Pinned">Whether the runner pinned them (<c>--cpu-kernels</c>).</param>
/// <param name="Mkl">MKL's pinned code path, <c>off</c> when MKL chose by CPU; null without MKL.</param>
internal sealed record EpochKernels(string? Aten, bool Pinned, string? Mkl)
{
    /// <summary>What <paramref name="state"/> reports.</summary>
    public static EpochKernels From(CpuKernelsState state) => new(state.Capability, state.Pinned, state.MklBranch);
}

/// <summary>Rebuilds the trained model of a <see cref="Checkpoint"/>, to evaluate it.</summary>
internal static class CheckpointModel
{
    /// <summary>
    /// The model of the checkpoint's settings (<see cref="Models.GetSequential(IReadOnlyList{int}, int, int)"/>, 784-h1-...-10)
    /// with its weights, on <paramref name="device"/>, in evaluation mode. The caller disposes it.
    /// </summary>
    /// <param name="checkpoint">The checkpoint.</param>
    /// <param name="file">Its path, for errors.</param>
    /// <param name="device">Where the model goes.</param>
    /// <exception cref="CheckpointException">The weights do not fit the model the settings describe.</exception>
    public static Sequential Load(Checkpoint checkpoint, string file, Device device)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return Load(checkpoint.Weights, checkpoint.Settings.Hidden, file, device);
    }

    /// <summary>The model of <paramref name="hidden"/> (784-h1-...-10) with <paramref name="weights"/> (a checkpoint's or a state_dict's), in evaluation mode.</summary>
    /// <exception cref="CheckpointException">The weights do not fit the model.</exception>
    public static Sequential Load(IReadOnlyList<CheckpointTensor> weights, HiddenLayers hidden, string file, Device device)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        var model = Models.GetSequential(hidden.Widths);
        try
        {
            ModelState.Restore(model, weights, file);
            model.to(device);
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}

/// <summary>One saved float32 tensor: its <c>state_dict</c> name, shape and values (row-major).</summary>
/// <param name="Name">E.g. <c>0.weight</c>.</param>
/// <param name="Shape">E.g. (50, 784).</param>
/// <param name="Values">The elements, row-major; as many as the shape holds.</param>
internal sealed record CheckpointTensor(string Name, long[] Shape, float[] Values);

/// <summary>Copies a model's parameters to and from <see cref="CheckpointTensor"/>s, by <c>state_dict</c> name.</summary>
internal static class ModelState
{
    /// <summary>The parameters of <paramref name="model"/>, copied to the host, in <c>named_parameters()</c> order.</summary>
    public static IReadOnlyList<CheckpointTensor> Capture(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return [.. model.named_parameters().Select(p =>
            new CheckpointTensor(p.name, p.parameter.shape, p.parameter.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray()))];
    }

    /// <summary>The parameters of <paramref name="model"/>, as <see cref="Capture(nn.Module)"/>; when <paramref name="manual"/> trained them by hand, its weights are copied into the model first.</summary>
    public static IReadOnlyList<CheckpointTensor> Capture(Sequential model, ManualClassifier? manual)
    {
        manual?.CopyTo(Layers(model));
        return Capture(model);
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

    /// <summary>The <c>nn.Linear</c> layers of <c>nn.Sequential(Linear, ReLU, ..., Linear)</c>, first to last: two for the lesson's.</summary>
    /// <exception cref="ArgumentException">The model has fewer than two.</exception>
    public static Linear[] Layers(Sequential model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var layers = model.children().OfType<Linear>().ToArray();
        return layers.Length >= 2 ? layers : throw new ArgumentException($"expected two or more nn.Linear layers, found {layers.Length}", nameof(model));
    }
}

/// <summary>torch's CPU generator state (<c>torch.get_rng_state()</c>), which the next epoch's shuffle comes from.</summary>
internal static class RandomState
{
    /// <summary>The state now.</summary>
    public static byte[] Capture()
    {
        using var state = torch.random.get_rng_state();
        return state.data<byte>().ToArray();
    }

    /// <summary>Sets the state to <paramref name="bytes"/>, a checkpoint's.</summary>
    /// <param name="bytes">What <see cref="Capture"/> gave.</param>
    /// <param name="file">The checkpoint's path, for errors.</param>
    /// <exception cref="CheckpointException">The state is not one torch takes.</exception>
    public static void Restore(byte[] bytes, string file)
    {
        using (var current = torch.random.get_rng_state())
            if (bytes.Length != current.NumberOfElements) // libtorch aborts the process on a state of the wrong size
                throw new CheckpointException(file, $"holds a random state of {bytes.Length:N0} bytes; torch's CPU generator takes {current.NumberOfElements:N0}; train again");
        try
        {
            using var state = tensor(bytes, ScalarType.Byte);
            torch.random.set_rng_state(state);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new CheckpointException(file, $"holds a random state torch does not accept ({e.Message}); train again", e);
        }
    }
}

/// <summary>
/// The optimizer's state: plain SGD (the lesson's <c>optim.SGD(model.parameters(), lr)</c>) has no buffers, only its
/// learning rate and (zero) momentum.
/// </summary>
/// <param name="Kind">Always <c>sgd</c>.</param>
/// <param name="LearningRate">The learning rate.</param>
/// <param name="Momentum">The momentum (0: no momentum buffers to save).</param>
internal sealed record OptimizerState(string Kind, double LearningRate, double Momentum);

/// <summary>A checkpoint file that is missing, foreign, from a newer format, truncated or corrupt. The message names the file, the problem and what to do.</summary>
/// <param name="file">The checkpoint's path.</param>
/// <param name="problem">What is wrong, in a sentence fragment that can follow the path.</param>
/// <param name="inner">The underlying error, if any.</param>
internal sealed class CheckpointException(string file, string problem, Exception? inner = null)
    : Exception($"{file}: {problem}", inner)
{
    /// <summary>The checkpoint's path.</summary>
    public string File { get; } = file;

    /// <summary>What is wrong with the file.</summary>
    public string Problem { get; } = problem;
}
