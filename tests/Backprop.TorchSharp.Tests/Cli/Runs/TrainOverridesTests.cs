using Backprop.Cli.Runs;
using Backprop.Training;

namespace Backprop.Tests.Cli.Runs;

public sealed class TrainOverridesTests
{
    [Fact]
    public void A_new_run_starts_from_the_lessons_final_stage()
    {
        var s = new TrainOverrides().ForNewRun();

        Assert.Equal(new TrainSettings(50, LossKind.CrossEntropy, GradientKind.Autograd, 0.5, 50, 5, 1), s);
    }

    [Fact]
    public void Given_values_replace_the_defaults()
    {
        var s = new TrainOverrides(Hidden: 100, Loss: LossKind.Mse, LearningRate: 0.1, Epochs: 2).ForNewRun();

        Assert.Equal(100, s.Hidden);
        Assert.Equal(LossKind.Mse, s.Loss);
        Assert.Equal(0.1, s.LearningRate);
        Assert.Equal(2, s.Epochs);
        Assert.Equal(50, s.BatchSize);
    }

    [Fact]
    public void Hidden_layers_name_the_model_its_state_dict_and_its_size_as_nn_Sequential_has_them()
    {
        var h = HiddenLayers.Parse(" 100, 50 ", out var problem)!;
        using var model = Models.GetSequential(h.Widths);

        Assert.Null(problem);
        Assert.Equal(new HiddenLayers(100, 50), h);
        Assert.NotEqual(new HiddenLayers(50, 100), h);
        Assert.Equal("100,50", h.ToString());
        Assert.Equal("784-100-50-10", h.Architecture);
        Assert.Equal("nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 50), nn.ReLU(), nn.Linear(50, 10))", h.Module);
        Assert.Equal(model.named_parameters().Select(p => (p.name, string.Join(",", p.parameter.shape))), h.StateDict().Select(k => (k.Name, string.Join(",", k.Shape))));
        Assert.Equal(model.parameters().Sum(p => p.numel()), h.Parameters);
        Assert.Equal("784-50-10", HiddenLayers.Lesson.Architecture);
        Assert.Equal(new TrainSettings(Hidden: new HiddenLayers(100, 50)), new TrainOverrides(Hidden: h).ForNewRun());
    }

    [Fact]
    public void The_bounds_allow_one_layer_of_100000_and_32_layers_and_refuse_more_weights_than_a_checkpoint_holds()
    {
        Assert.Equal(79_500_010, new HiddenLayers(100_000).Parameters); // 318 MB of float32, as one hidden layer always allowed
        Assert.Equal(32, new HiddenLayers([.. Enumerable.Repeat(100, 32)]).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => new HiddenLayers([.. Enumerable.Repeat(100, 33)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HiddenLayers(100_000, 250));
        Assert.True(new HiddenLayers(100_000, 200).Parameters <= HiddenLayers.MaxParameters);
        Assert.True(HiddenLayers.MaxParameters * 4 + (16 << 20) < CheckpointFile.MaxBytes, "the largest model's checkpoint, with 16 MiB for its header, fits");
    }

    [Fact]
    public void A_resumed_run_keeps_the_checkpoints_settings_and_takes_a_new_total()
    {
        var saved = new TrainSettings(Hidden: 64, LearningRate: 0.3, Epochs: 2, Seed: 9);

        var s = new TrainOverrides(Epochs: 3, LearningRate: 0.1).ForResume(saved, done: 2);

        Assert.Equal(saved with { Epochs = 3, LearningRate = 0.1 }, s);
    }

    [Fact]
    public void A_resumed_run_may_repeat_the_checkpoints_model_settings() =>
        Assert.Equal(3, new TrainOverrides(Hidden: 64, Epochs: 3).ForResume(new TrainSettings(Hidden: 64, Epochs: 2), 2).Epochs);

    [Theory]
    [InlineData("--hidden")]
    [InlineData("--loss")]
    [InlineData("--gradients")]
    [InlineData("--seed")]
    public void Changing_the_model_or_the_seed_on_resume_is_refused(string option)
    {
        var o = option switch
        {
            "--hidden" => new TrainOverrides(Hidden: 10),
            "--loss" => new TrainOverrides(Loss: LossKind.Mse),
            "--gradients" => new TrainOverrides(Gradients: GradientKind.Manual),
            _ => new TrainOverrides(Seed: 2),
        };

        var e = Assert.Throws<TrainSettingsException>(() => (o with { Epochs = 9 }).ForResume(new TrainSettings(), 1));
        Assert.StartsWith(option + " ", e.Message);
        Assert.Contains($"leave {option} out", e.Message);
    }

    [Fact]
    public void The_conflict_is_spelled_as_on_the_command_line()
    {
        var e = Assert.Throws<TrainSettingsException>(() => new TrainOverrides(Loss: LossKind.Mse).ForResume(new TrainSettings(Epochs: 1), 1));

        Assert.Contains("--loss mse contradicts", e.Message);
        Assert.Contains("--loss cross_entropy;", e.Message);
    }

    [Fact]
    public void Resuming_without_more_epochs_says_how_many_to_ask_for()
    {
        var e = Assert.Throws<TrainSettingsException>(() => new TrainOverrides().ForResume(new TrainSettings(Epochs: 3), done: 3));

        Assert.Contains("already holds 3 epoch(s)", e.Message);
        Assert.Contains("--epochs 4", e.Message);
    }

    [Fact]
    public void Out_of_range_values_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainOverrides(Epochs: 0).ForNewRun());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainOverrides(LearningRate: double.NaN).ForNewRun());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainOverrides(BatchSize: -1).ForNewRun());
    }
}
